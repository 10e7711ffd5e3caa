using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// The query phase: the walsender relay, the replication loop, or with a single node its two pumps
    /// (<see cref="SingleNodeForwarder"/>), which mark the backend broken unless the session ended cleanly.
    /// </summary>
    private async Task ForwardAsync()
    {
        if (IsWalSender)
        {
            await RelayWalSenderAsync();
            return;
        }

        if (_links.Length > 0)
        {
            await RunReplicationAsync();
            return;
        }

        _forwarder = new SingleNodeForwarder(this, _client, _backend!, _admin, _runtime.Pool,
            _runtime.Nodes.Find(_backend!.NodeId)?.Statistics, _logger);
        await _forwarder.RunAsync();
    }

    /// <summary>Sessions ended by pgproxy (idle limit, fast shutdown) tell the client why, as PostgreSQL does.</summary>
    private async Task TellClientWhyAsync(SessionEndReason end)
    {
        switch (end)
        {
            case SessionEndReason.ClientIdleLimit:
                Log.ClientIdleLimit(_logger, RemoteAddress, _runtime.Options.ClientIdleLimit);
                await TrySendFatalAsync(SqlState.IdleSessionTimeout,
                    $"terminating connection because client_idle_limit ({_runtime.Options.ClientIdleLimit} s) was reached");
                break;
            case SessionEndReason.AdminShutdown:
                await TrySendFatalAsync(SqlState.AdminShutdown,
                    "terminating connection due to administrator command");
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Gives the slot and cancel key back, resets and caches the backend when the session ended cleanly
    /// (closes it otherwise), and closes the client.
    /// </summary>
    private async Task TeardownAsync()
    {
        if (CancelProcessId != 0)
        {
            _runtime.Sessions.Unregister(CancelProcessId, CancelSecretKey);
        }

        if (_holdsSlot)
        {
            _runtime.Sessions.ReleaseSlot();
            _holdsSlot = false;
        }

        await CloseWalSenderProbeAsync();
        if (_links.Length > 0)
        {
            foreach (var link in _links)
            {
                if (link.SessionLocks.Any)
                {
                    // insert_lock's session-level lock outlives the transaction: cached under a reset_query_list
                    // without DISCARD ALL, the connection would keep it, and every other inserter into the table
                    // would wait for it on main. Closed, the connection takes the lock with it.
                    link.Backend.IsBroken = true;
                }

                await ReleaseBackendAsync(link.Backend);
            }
        }
        else if (_backend is not null)
        {
            await ReleaseBackendAsync(_backend);
        }

        _client.Abort();
        Log.SessionEnded(_logger, RemoteAddress, User, Database, EndReason);
    }

    /// <summary>Resets and caches a backend connection that ended cleanly, closes it otherwise.</summary>
    private async Task ReleaseBackendAsync(Backends.BackendConnection backend)
    {
        var reusable = false;
        if (!backend.IsBroken && !_runtime.Shutdown.IsCancellationRequested)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                reusable = await backend.ResetAsync(_runtime.Options.ResetQueryList, timeout.Token);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                          or OperationCanceledException
                                          or ProtocolViolationException)
            {
                Log.BackendResetFailed(_logger, backend.NodeId, backend.ProcessId, e.Message);
            }
        }

        if (reusable)
        {
            _runtime.Pool.Return(backend);
        }
        else
        {
            backend.IsBroken = true;
            await backend.TerminateAsync();
        }
    }
}
