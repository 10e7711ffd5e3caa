using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Logging;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// The session's side of client authentication: a place among the connections still authenticating, the
/// <see cref="ClientAuthenticator"/>'s outcome logged and told to the client, and the credential it yields kept
/// for the backends.
/// </summary>
internal sealed partial class ClientSession
{
    private BackendCredential _backendCredential = BackendCredential.None;
    private AuthenticatingConnection? _authenticating;
    private BackendPoolKey? _authenticationKey;

    /// <summary>What the session logged into its backends with: a probe of a node logs in the same way.</summary>
    public BackendCredential BackendCredential => _backendCredential;

    /// <summary>
    /// Takes a place among the connections still authenticating. Always succeeds: when a bound is reached the
    /// oldest connection over it is dropped instead (<see cref="AuthenticationLimiter"/>), and should this one
    /// become the oldest, <paramref name="deadline"/> ends with the reason (<see cref="DescribeStartupEndAsync"/>).
    /// </summary>
    private void BeginAuthentication(StartupDeadline deadline)
    {
        _authenticating = _runtime.Authenticating.Enter(_remoteIp, _runtime.MaxAuthenticating,
            _runtime.MaxAuthenticatingPerAddress, eviction => deadline.End(StartupEndFor(eviction)));
    }

    /// <summary>
    /// Gives the place back (idempotent), however authentication ended. Returns false when the limiter had
    /// dropped this connection first; the startup deadline then carries the reason (said here too, in case the
    /// limiter's own call has not run yet), and the connection must end, as it will be told.
    /// </summary>
    private bool EndAuthentication()
    {
        if (_authenticating is not { } place)
        {
            return true;
        }

        _authenticating = null;
        var eviction = _runtime.Authenticating.Exit(place);
        if (eviction == AuthenticationEviction.None)
        {
            return true;
        }

        place.Evict(eviction);
        return false;
    }

    private static StartupEnd StartupEndFor(AuthenticationEviction eviction) => eviction switch
    {
        AuthenticationEviction.AddressBound => StartupEnd.TooManyAuthenticatingFromAddress,
        _ => StartupEnd.TooManyAuthenticating,
    };

    /// <summary>
    /// Tells the client why its startup was cut short, then the session ends. Nothing is sent in the middle of a
    /// TLS handshake, where plain-text bytes would only garble it.
    /// </summary>
    private async Task DescribeStartupEndAsync(StartupEnd end)
    {
        var options = _runtime.Options;
        var (sqlState, message) = end switch
        {
            StartupEnd.Timeout => (SqlState.ProtocolViolation, "canceling authentication due to timeout " +
                $"(authentication_timeout = {options.AuthenticationTimeout} s)"),
            StartupEnd.TooManyAuthenticating => (SqlState.TooManyConnections,
                "too many connections still authenticating " +
                $"(max_authenticating_connections = {_runtime.MaxAuthenticating})"),
            StartupEnd.TooManyAuthenticatingFromAddress => (SqlState.TooManyConnections,
                $"too many connections from {HostForMessages} still authenticating " +
                $"(max_authenticating_connections_per_address = {_runtime.MaxAuthenticatingPerAddress})"),
            _ => (SqlState.AdminShutdown, "terminating connection due to administrator command"),
        };
        switch (end)
        {
            case StartupEnd.Timeout:
                AuthLog.Timeout(_logger, RemoteAddress, User, options.AuthenticationTimeout);
                break;
            case StartupEnd.TooManyAuthenticating or StartupEnd.TooManyAuthenticatingFromAddress:
                AuthLog.DroppedAuthenticating(_logger, RemoteAddress, message);
                break;
        }

        if (!_inTlsHandshake)
        {
            await TrySendFatalAsync(sqlState, message);
        }
    }

    /// <summary>
    /// Authenticates the client after its StartupMessage. Returns true when it may go on; otherwise the client has
    /// been told why and the session is to end. <paramref name="cancellationToken"/> is the startup deadline's:
    /// its cancellation is reported by <see cref="StartupAsync"/>.
    /// </summary>
    private async Task<bool> AuthenticateClientAsync(StartupPacket packet, CancellationToken cancellationToken)
    {
        // The key StartupAsync will look for in the connection cache, so that a connection opened here to ask the
        // main node is the one the session then gets.
        _authenticationKey = BackendPoolKey.ForClient(User, Database, packet.Parameters);
        var request = new ClientAuthRequest(User, Database, _remoteIp, IsSsl, ClientCertificate, _walSender,
            _authenticationKey, (_client as EpollConnection)?.Loop);
        var outcome = await new ClientAuthenticator(_runtime, _client, request).RunAsync(cancellationToken);
        if (outcome.WalSenderProbe is { } probe)
        {
            _walSenderProbe = probe; // the teardown closes it should the session end before using it
        }

        if (outcome.Credential is { } credential)
        {
            if (!EndAuthentication())
            {
                // Dropped just as it finished: it ends like every other dropped connection.
                throw new OperationCanceledException(cancellationToken);
            }

            _backendCredential = credential;
            return true;
        }

        if (outcome.SqlState is not null)
        {
            if (outcome.ByHba)
            {
                Log.HbaRefused(_logger, RemoteAddress, User, Database, outcome.Message!);
            }
            else
            {
                AuthLog.Refused(_logger, RemoteAddress, User, Database, outcome.LogReason ?? outcome.Message!);
            }

            await TrySendFatalAsync(outcome.SqlState, outcome.Message!);
        }

        return false;
    }

    private string HostForMessages => _remoteIp is null ? "[local]" : _remoteIp.ToString();

    private static partial class AuthLog
    {
        [LoggerMessage(EventIds.AuthenticationFailed, LogLevel.Information,
            "authentication of client {RemoteAddress} (user \"{User}\" database \"{Database}\") failed: {Reason}")]
        public static partial void Refused(ILogger logger, string remoteAddress, string user, string database,
            string reason);

        [LoggerMessage(EventIds.AuthenticationTimeout, LogLevel.Information,
            "client {RemoteAddress} (user \"{User}\") did not authenticate within authentication_timeout " +
            "({Seconds} s)")]
        public static partial void Timeout(ILogger logger, string remoteAddress, string user, int seconds);

        [LoggerMessage(EventIds.TooManyAuthenticating, LogLevel.Warning,
            "dropped client {RemoteAddress}, the oldest still authenticating: {Reason}")]
        public static partial void DroppedAuthenticating(ILogger logger, string remoteAddress, string reason);
    }
}
