using Microsoft.Extensions.Logging;
using Pgproxy.Core.Transport;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ProtocolViolation, LogLevel.Warning,
            "protocol violation from client {RemoteAddress}: {Reason}")]
        public static partial void ProtocolViolation(ILogger logger, string remoteAddress, string reason);

        [LoggerMessage(EventIds.SessionFailed, LogLevel.Debug, "session of {RemoteAddress} ended: {Reason}")]
        public static partial void SessionFailed(ILogger logger, string remoteAddress, string reason);

        [LoggerMessage(EventIds.SessionFailed + 50, LogLevel.Error, "session of {RemoteAddress} failed")]
        public static partial void SessionCrashed(ILogger logger, Exception exception, string remoteAddress);

        [LoggerMessage(EventIds.TooManyClients, LogLevel.Warning,
            "refused client {RemoteAddress}: all {Limit} client slots (num_init_children) are in use")]
        public static partial void TooManyClients(ILogger logger, string remoteAddress, int limit);

        [LoggerMessage(EventIds.TlsStarted, LogLevel.Debug, "client {RemoteAddress} switched to {Tls}")]
        public static partial void TlsStarted(ILogger logger, string remoteAddress, string tls);

        [LoggerMessage(EventIds.TlsHandshakeFailed, LogLevel.Information,
            "TLS handshake with client {RemoteAddress} failed: {Reason}")]
        public static partial void TlsHandshakeFailed(ILogger logger, string remoteAddress, string reason);

        [LoggerMessage(EventIds.HbaRefused, LogLevel.Information,
            "refused client {RemoteAddress} (user \"{User}\" database \"{Database}\"): {Reason}")]
        public static partial void HbaRefused(ILogger logger, string remoteAddress, string user, string database,
            string reason);

        [LoggerMessage(EventIds.NodeDegenerated, LogLevel.Error, "degenerating backend node {NodeId}: {Reason}")]
        public static partial void NodeDown(ILogger logger, int nodeId, string reason);

        [LoggerMessage(EventIds.BackendConnectFailed, LogLevel.Warning,
            "could not give user \"{User}\" database \"{Database}\" a backend connection: {Reason}")]
        public static partial void BackendConnectFailed(ILogger logger, string user, string database, string reason);

        [LoggerMessage(EventIds.SessionStarted, LogLevel.Debug,
            "client {RemoteAddress} connected: user \"{User}\" database \"{Database}\" pid {Pid} (main's backend)")]
        public static partial void SessionStarted(ILogger logger, string remoteAddress, string user, string database,
            int pid);

        [LoggerMessage(EventIds.SessionEnded, LogLevel.Debug,
            "client {RemoteAddress} (user \"{User}\" database \"{Database}\") disconnected: {Reason}")]
        public static partial void SessionEnded(ILogger logger, string remoteAddress, string user, string database,
            SessionEndReason reason);

        [LoggerMessage(EventIds.CancelUnknownKey, LogLevel.Debug,
            "ignored cancel request from {RemoteAddress} for unknown pid {Pid} or wrong key")]
        public static partial void CancelUnknownKey(ILogger logger, string remoteAddress, int pid);

        [LoggerMessage(EventIds.CancelForwarded, LogLevel.Debug,
            "forwarded cancel request for pid {Pid} to node {NodeId} backend pid {BackendPid}")]
        public static partial void CancelForwarded(ILogger logger, int pid, int nodeId, int backendPid);

        [LoggerMessage(EventIds.ClientIdleLimit, LogLevel.Information,
            "disconnected client {RemoteAddress}: idle for client_idle_limit ({Limit} s)")]
        public static partial void ClientIdleLimit(ILogger logger, string remoteAddress, int limit);

        [LoggerMessage(EventIds.BackendResetFailed, LogLevel.Debug,
            "reset of node {NodeId} backend pid {BackendPid} failed, closing it: {Reason}")]
        public static partial void BackendResetFailed(ILogger logger, int nodeId, int backendPid, string reason);
    }
}
