using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// Runs both pumps until one side ends, then stops the other. A session ends cleanly when the client sent
    /// Terminate (or just closed) while its backend was between queries: the backend is then reset and cached.
    /// Otherwise the backend connection is closed, which makes PostgreSQL roll back whatever was open.
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

        var backendPump = RunBackendPumpAsync();
        SessionEndReason clientEnd;
        try
        {
            clientEnd = await PumpClientAsync();
        }
        catch (ProtocolViolationException)
        {
            // Like PostgreSQL, answer what came before the bad message, then report the violation.
            await WaitForOutstandingRepliesAsync(backendPump);
            StopBackendPumpAbruptly();
            await AwaitBackendPumpAsync(backendPump);
            throw;
        }
        catch (Exception)
        {
            StopBackendPumpAbruptly();
            await AwaitBackendPumpAsync(backendPump);
            throw;
        }

        if (clientEnd == SessionEndReason.BackendLost)
        {
            // The backend pump ended first and woke us; it has told the client already.
            await AwaitBackendPumpAsync(backendPump);
            return;
        }

        TrySetEndReason(clientEnd);
        var clean = clientEnd is SessionEndReason.ClientTerminated or SessionEndReason.ClientDisconnected
                    && IsBackendBetweenQueries();
        if (clean)
        {
            _stopBackendPump = true;
            _backend!.Input.CancelPendingRead();
        }
        else
        {
            StopBackendPumpAbruptly();
        }

        var stopped = await AwaitBackendPumpAsync(backendPump);
        if (!stopped || !clean)
        {
            _backend!.IsBroken = true;
        }

        await TellClientWhyAsync(clientEnd);
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
    /// The backend pump plus what happens when it ends on its own: the backend closed (or failed), so the
    /// client is told (after any FATAL error PostgreSQL sent itself) and the client pump is woken to end
    /// the session. Returns true when the pump stopped because the session asked it to.
    /// </summary>
    private async Task<bool> RunBackendPumpAsync()
    {
        string? failure = null;
        try
        {
            if (await PumpBackendAsync())
            {
                return true;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException or ProtocolViolationException)
        {
            failure = e.Message;
        }

        if (_stopBackendPump)
        {
            return false;
        }

        if (TrySetEndReason(SessionEndReason.BackendLost))
        {
            var backend = _backend!;
            backend.IsBroken = true;
            Log.BackendLost(_logger, backend.NodeId, backend.ProcessId, failure ?? "connection closed");

            // Mid-message, an ErrorResponse would be read as the rest of that message: then just close, which
            // the client reports as the server closing the connection.
            if (_backendRemaining == 0)
            {
                await TrySendFatalAsync(SqlState.ConnectionFailure,
                    $"pgproxy lost the connection to backend node {backend.NodeId}" +
                    (failure is null ? "" : ": " + failure));
            }
        }

        _client.Input.CancelPendingRead();
        return false;
    }

    private static async Task<bool> AwaitBackendPumpAsync(Task<bool> backendPump)
    {
        bool stopped;
        try
        {
            stopped = await backendPump;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            stopped = false;
        }

        return stopped;
    }

    /// <summary>
    /// Waits (briefly, this is the rare path) until the backend has answered every query the client sent, so
    /// those replies reach the client before the session ends. An unsynced extended-protocol group never gets
    /// a ReadyForQuery, and neither does a COPY FROM STDIN the client broke off (the backend waits for CopyDone) nor
    /// a message cut off halfway (the backend waits for the rest), so then there is nothing to wait for.
    /// </summary>
    /// <remarks>
    /// The bound stays well under the 5 s in which pgproxy must answer or close any connection (issue 11): the count
    /// of queries owed an answer can be too high — a Query sent during COPY FROM STDIN ends the COPY instead of
    /// earning a ReadyForQuery of its own — and then only the deadline ends the wait.
    /// </remarks>
    private async Task WaitForOutstandingRepliesAsync(Task backendPump)
    {
        var deadline = Environment.TickCount64 + 2000;
        while (!_extendedUnsynced && !_inCopyIn && _clientRemaining == 0 && !backendPump.IsCompleted
               && Environment.TickCount64 < deadline
               && Volatile.Read(ref _cyclesDone) != _cyclesSent)
        {
            await Task.Delay(1);
        }
    }

    private bool IsBackendBetweenQueries() =>
        !_extendedUnsynced && !_inCopyIn && _clientRemaining == 0
        && Volatile.Read(ref _cyclesDone) == _cyclesSent;

    private void StopBackendPumpAbruptly()
    {
        _stopBackendPump = true;
        _backend?.Abort();
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
