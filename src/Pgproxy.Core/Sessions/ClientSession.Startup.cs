using Pgproxy.Core.Backends;
using Pgproxy.Core.Hba;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// The startup phase: SSLRequest is answered <c>S</c> and TLS started when <c>ssl</c> is on (refused with
    /// <c>N</c> otherwise, and GSSENCRequest always, so the client may go on in plain text), a CancelRequest is
    /// forwarded and the connection closed, and a StartupMessage is authenticated (<c>.Authentication.cs</c>),
    /// then gets a client slot, a backend connection (cached or new; a replication connection's is always its own)
    /// and the backend's parameters with pgproxy's own cancel key. Everything must finish within
    /// <c>authentication_timeout</c> of the accept; a startup cut short (timeout, dropped from the authenticating
    /// connections, shutdown) is told why. Returns true when the session is ready to forward queries.
    /// </summary>
    private async Task<bool> StartupAsync(StartupDeadline deadline)
    {
        try
        {
            return await RunStartupAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.Reason != StartupEnd.None)
        {
            await DescribeStartupEndAsync(deadline.Reason);
            return false;
        }
        finally
        {
            // From here on only the session's own limits apply (client_idle_limit, shutdown).
            deadline.Dispose();
        }
    }

    private async Task<bool> RunStartupAsync(CancellationToken cancellationToken)
    {
        StartupPacket? packet;
        while (true)
        {
            packet = await ReadStartupPacketAsync(cancellationToken);
            if (packet is null)
            {
                return false;
            }

            if (packet.Kind == StartupPacketKind.SslRequest && CanStartTls)
            {
                if (!await StartTlsAsync(cancellationToken))
                {
                    return false;
                }

                continue;
            }

            if (packet.Kind is StartupPacketKind.SslRequest or StartupPacketKind.GssEncRequest)
            {
                BackendMessageWriter.WriteSslRefused(_client.Output);
                await _client.Output.FlushAsync(cancellationToken);
                continue;
            }

            break;
        }

        if (packet.Kind == StartupPacketKind.CancelRequest)
        {
            await ForwardCancelRequestAsync(packet.CancelProcessId, packet.CancelSecretKey);
            return false;
        }

        User = packet.User;
        Database = packet.Database;
        if (!await DecideWalSenderAsync(packet))
        {
            return false;
        }

        if (packet.ProtocolVersion != StartupPacket.ProtocolVersion30 || packet.UnsupportedProtocolOptions.Count > 0)
        {
            // pgproxy speaks 3.0; tell a newer client so, as PostgreSQL itself does.
            BackendMessageWriter.WriteNegotiateProtocolVersion(_client.Output, 0, packet.UnsupportedProtocolOptions);
        }

        if (!await AuthenticateClientAsync(packet, cancellationToken))
        {
            return false;
        }

        if (!await TryTakeSlotAsync())
        {
            return false;
        }

        var key = _authenticationKey ?? BackendPoolKey.ForClient(User, Database, packet.Parameters);
        try
        {
            _backend = _walSender != WalSenderKind.None ? await OpenWalSenderAsync(key, cancellationToken)
                : IsReplicated ? await AcquireReplicatedBackendsAsync(key, cancellationToken)
                : await AcquireBackendAsync(key, cancellationToken);
        }
        catch (BackendStartupException e)
        {
            Log.BackendConnectFailed(_logger, User, Database, e.Message);
            await TrySendFatalAsync(e.SqlState, e.Message);
            return false;
        }

        await SendStartupEndAsync(_backend, cancellationToken);
        return true;
    }

    /// <summary>
    /// A client slot only once authenticated: connections that never authenticate (a flood, a slowloris) are
    /// bounded by max_authenticating_connections instead, and can never take the slots real clients need.
    /// </summary>
    private async Task<bool> TryTakeSlotAsync()
    {
        var options = _runtime.Options;
        if (!_runtime.Sessions.TryTakeSlot(Math.Max(1, options.NumInitChildren - options.ReservedConnections)))
        {
            Log.TooManyClients(_logger, RemoteAddress, options.NumInitChildren);
            await TrySendFatalAsync(SqlState.TooManyConnections, "sorry, too many clients already");
            return false;
        }

        _holdsSlot = true;
        return true;
    }

    /// <summary>
    /// The end of the startup as the client sees it. The client gets main's real pid (what pg_backend_pid() and
    /// notifications say) and keeps it for the session, even if its backend changes later; the secret is
    /// pgproxy's own.
    /// </summary>
    private async Task SendStartupEndAsync(BackendConnection backend, CancellationToken cancellationToken)
    {
        CancelProcessId = backend.ProcessId;
        CancelSecretKey = _runtime.Sessions.Register(this, CancelProcessId);
        var output = _client.Output;
        BackendMessageWriter.WriteAuthenticationOk(output);
        foreach (var (name, value) in backend.Parameters)
        {
            BackendMessageWriter.WriteParameterStatus(output, name, value);
        }

        BackendMessageWriter.WriteBackendKeyData(output, CancelProcessId, CancelSecretKey);
        BackendMessageWriter.WriteReadyForQuery(output, backend.TransactionStatus);
        await output.FlushAsync(cancellationToken);
        Log.SessionStarted(_logger, RemoteAddress, User, Database, CancelProcessId);
    }

    private async Task<StartupPacket?> ReadStartupPacketAsync(CancellationToken cancellationToken)
    {
        var input = _client.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (StartupPacketReader.TryRead(ref buffer, out var packet))
            {
                input.AdvanceTo(buffer.Start);
                return packet;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }

    private async Task<BackendConnection> AcquireBackendAsync(BackendPoolKey key, CancellationToken cancellationToken)
    {
        var node = _runtime.Nodes.MainNode
            ?? throw new BackendStartupException(SqlState.CannotConnectNow, "all backend nodes are down");
        return await ConnectNodeAsync(node, key, (_client as EpollConnection)?.Loop, cancellationToken);
    }

    /// <summary>
    /// Forwards a CancelRequest to the backend serving the session pgproxy's key names. Like PostgreSQL, the
    /// requester gets no answer either way, so a wrong key reveals nothing.
    /// </summary>
    private async Task ForwardCancelRequestAsync(int processId, int secretKey)
    {
        var target = _runtime.Sessions.FindForCancel(processId, secretKey);
        if (target is null || !target.Backends.Any())
        {
            Log.CancelUnknownKey(_logger, RemoteAddress, processId);
            return;
        }

        // In replication mode the statement may be running on several nodes: cancel it on each, at once, each
        // when no BEGIN of pgproxy's runs there (CancelHold); a read running on one node alone, there only.
        await Task.WhenAll(target.CancelBackends.ToArray().Select(async backend =>
        {
            await CancelForwarder.SendAsync(backend.Endpoint, backend.ProcessId, backend.SecretKey,
                _runtime.Options.ConnectTimeout, backend.CancelHold);
            Log.CancelForwarded(_logger, processId, backend.NodeId, backend.ProcessId);
        }));
    }
}
