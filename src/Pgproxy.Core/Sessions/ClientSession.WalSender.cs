using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Hba;
using Pgproxy.Core.Logging;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Replication connections (<c>replication=true|database</c>, what pg_basebackup, pg_recvlogical, Debezium or
/// Npgsql's replication API open). They are authenticated like any session, pool_hba.conf read as PostgreSQL reads
/// pg_hba.conf for them; then the session gets a walsender of its own on main, opened with the client's startup
/// parameters, never cached nor load-balanced, and the bytes are relayed untouched until either side closes. A slot
/// lives on the node that created it, so a walsender follows main only by reconnecting.
/// </summary>
internal sealed partial class ClientSession
{
    private WalSenderKind _walSender;

    /// <summary>The walsender that asked main for the method (pool_hba.conf off), kept for this session alone.</summary>
    private BackendConnection? _walSenderProbe;

    /// <summary>True for a replication connection: a relay, not a session of queries.</summary>
    public bool IsWalSender => _walSender != WalSenderKind.None;

    /// <summary>
    /// Reads the <c>replication</c> parameter as PostgreSQL does. Returns false when the value is one PostgreSQL
    /// refuses; the client has then been told so in PostgreSQL's words.
    /// </summary>
    private async Task<bool> DecideWalSenderAsync(StartupPacket packet)
    {
        var request = WalSenderRequest.Of(packet.Parameters);
        if (request.InvalidValue is { } invalid)
        {
            await TrySendFatalAsync(SqlState.InvalidParameterValue,
                $"invalid value for parameter \"replication\": \"{invalid}\"",
                "Valid values are: \"false\", 0, \"true\", 1, \"database\".");
            return false;
        }

        _walSender = request.Kind;
        return true;
    }

    /// <summary>Closes the probe's walsender when the session ended before it could use it.</summary>
    private async Task CloseWalSenderProbeAsync()
    {
        if (Interlocked.Exchange(ref _walSenderProbe, null) is { } probe)
        {
            await probe.TerminateAsync();
        }
    }

    /// <summary>
    /// A walsender on main of the session's own (the probe's, else a new one), marked so that the teardown closes
    /// it instead of caching it.
    /// </summary>
    private async Task<BackendConnection> OpenWalSenderAsync(BackendPoolKey key, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _walSenderProbe, null) is { } probe)
        {
            return probe;
        }

        var node = _runtime.Nodes.MainNode
            ?? throw new BackendStartupException(SqlState.CannotConnectNow, "all backend nodes are down");
        var connection = await NodeConnect.OpenAsync(_runtime.BackendConnector, node, key, _backendCredential,
            _runtime.Options.ConnectTimeout, (_client as EpollConnection)?.Loop, cancellationToken);
        _runtime.Nodes.MarkUp(node, "a session reached it");
        connection.IsBroken = true;
        return connection;
    }

    /// <summary>The relay phase of a replication connection, and what the client is told when it ends.</summary>
    private async Task RelayWalSenderAsync()
    {
        var backend = _backend!;
        WalSenderLog.Started(_logger, RemoteAddress, User, _walSender, backend.NodeId, backend.ProcessId);
        var outcome = await new WalSenderRelay(_client, backend).RunAsync();
        backend.IsBroken = true;
        WalSenderLog.Ended(_logger, RemoteAddress, User, backend.NodeId, outcome.End, outcome.Failure ?? "");
        switch (outcome.End)
        {
            case WalSenderRelayEnd.ClientLeft:
                TrySetEndReason(SessionEndReason.ClientDisconnected);
                break;
            case WalSenderRelayEnd.Stopped:
                await TellClientWhyAsync(EndReason);
                break;
            case WalSenderRelayEnd.BackendLost when TrySetEndReason(SessionEndReason.BackendLost):
                await TrySendFatalAsync(SqlState.ConnectionFailure, LostMessage(backend, outcome.Failure),
                    "A replication slot exists only on the node it was created on: after a failover, create it " +
                    "again on the new main and expect to miss or repeat changes.");
                break;
            default:
                TrySetEndReason(SessionEndReason.BackendLost);
                break;
        }
    }

    private string LostMessage(BackendConnection backend, string? failure)
    {
        var node = _runtime.Nodes.Find(backend.NodeId);
        return node is { Status: BackendStatus.Down }
            ? $"terminating replication connection: backend node {backend.NodeId} (main when it started) is down: " +
              node.LastStatusReason
            : $"pgproxy lost the replication connection to backend node {backend.NodeId}" +
              (failure is null ? "" : ": " + failure);
    }

    private async Task TrySendFatalAsync(string sqlState, string message, string hint)
    {
        try
        {
            BackendMessageWriter.WriteErrorResponse(_client.Output, "FATAL", sqlState, message, hint: hint);
            await _client.Output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            // The client is already gone; there is nobody left to tell.
        }
    }

    private static partial class WalSenderLog
    {
        [LoggerMessage(EventIds.WalSenderStarted, LogLevel.Information,
            "replication connection of {RemoteAddress} (user \"{User}\", {Kind}) relayed to backend node {NodeId} " +
            "(pid {ProcessId})")]
        public static partial void Started(ILogger logger, string remoteAddress, string user, WalSenderKind kind,
            int nodeId, int processId);

        [LoggerMessage(EventIds.WalSenderEnded, LogLevel.Information,
            "replication connection of {RemoteAddress} (user \"{User}\") to backend node {NodeId} ended: {End} " +
            "{Failure}")]
        public static partial void Ended(ILogger logger, string remoteAddress, string user, int nodeId,
            WalSenderRelayEnd end, string failure);
    }
}
