using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Hba;
using Pgproxy.Core.Logging;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Client authentication. pgproxy is the door to every node, so it verifies the client itself and fails closed:
/// with pool_hba.conf on, the first matching record's method decides; with it off, the client is asked for what
/// the main node asks for and the answer is checked against pool_passwd (CVE-2025-46801 was pgpool letting
/// clients through that nobody verified). Unknown users and wrong passwords get the same 28P01 after the same
/// exchange. What the exchange reveals (a verified password, a SCRAM ClientKey) becomes the credential the
/// session logs into the backends with.
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
        var outcome = await AuthenticateAsync(cancellationToken);
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

    private async Task<AuthOutcome> AuthenticateAsync(CancellationToken cancellationToken)
    {
        var secret = _runtime.PoolPasswd.Find(User);
        if (_runtime.HbaRules is { } rules)
        {
            var rule = HbaMatcher.Match(rules, _remoteIp is null, IsSsl, Database, User, _remoteIp, _walSender);
            if (rule is null)
            {
                return AuthOutcome.RefuseByHba(_walSender == WalSenderKind.Physical
                    ? $"no pool_hba.conf entry for replication connection from host \"{HostForMessages}\", " +
                      $"user \"{User}\", {EncryptionForMessages}"
                    : $"no pool_hba.conf entry for host \"{HostForMessages}\", user \"{User}\", " +
                      $"database \"{Database}\", {EncryptionForMessages}");
            }

            var method = MethodOf(rule.Method);
            return method switch
            {
                ClientAuthMethod.Reject => AuthOutcome.RefuseByHba(_walSender == WalSenderKind.Physical
                    ? $"pool_hba.conf rejects replication connection for host \"{HostForMessages}\", " +
                      $"user \"{User}\", {EncryptionForMessages}"
                    : $"pool_hba.conf rejects connection for host \"{HostForMessages}\", user \"{User}\", " +
                      $"database \"{Database}\", {EncryptionForMessages}"),
                ClientAuthMethod.Unsupported => AuthOutcome.Refuse(SqlState.InvalidAuthorizationSpecification,
                    $"authentication method \"{rule.Method}\" (pool_hba.conf line {rule.Line}) is not supported " +
                    "by pgproxy"),
                _ => await RunMethodAsync(method, secret, verifyWithMainNode: false, cancellationToken),
            };
        }

        var asked = await AskMainNodeAsync(cancellationToken);
        if (asked.Method is not { } nodeMethod)
        {
            return asked.Refusal!;
        }

        if (nodeMethod == ClientAuthMethod.Trust)
        {
            // The node lets this user in unverified, so pgproxy may too; but it has verified nothing, so it hands
            // the backends no secret either: a node that does ask for one gets a clear error, not a password.
            return AuthOutcome.Success(BackendCredential.None);
        }

        // allow_clear_text_frontend_auth: a user pool_passwd lacks is asked for the password in clear text and
        // the main node checks it; never let through unchecked.
        var verifyWithMainNode = secret is null && _runtime.Options.AllowClearTextFrontendAuth;
        return await RunMethodAsync(verifyWithMainNode ? ClientAuthMethod.Password : nodeMethod, secret,
            verifyWithMainNode, cancellationToken);
    }

    private async Task<AuthOutcome> RunMethodAsync(ClientAuthMethod method, PasswordSecret? secret,
        bool verifyWithMainNode, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case ClientAuthMethod.Trust:
                return AuthOutcome.Success(BackendCredential.From(secret));
            case ClientAuthMethod.Cert:
                return CheckCertificate(secret);
            case ClientAuthMethod.Password:
                return await CleartextExchangeAsync(secret, verifyWithMainNode, cancellationToken);
            case ClientAuthMethod.Md5 when secret is null || secret.Md5HashFor(User) is not null:
                return await Md5ExchangeAsync(secret, cancellationToken);
            default:
                // scram-sha-256, and md5 for a user with only a SCRAM verifier: PostgreSQL upgrades md5 to SCRAM
                // in that case too, since an md5 answer cannot be checked against a verifier.
                return await ScramExchangeAsync(secret, cancellationToken);
        }
    }

    /// <summary>The <c>cert</c> method: a TLS client certificate whose common name is the user name.</summary>
    private AuthOutcome CheckCertificate(PasswordSecret? secret) =>
        CheckCertificateUser() is { } refusal
            ? AuthOutcome.Refuse(SqlState.InvalidAuthorizationSpecification, refusal)
            : AuthOutcome.Success(BackendCredential.From(secret));

    /// <summary>
    /// With pool_hba.conf off: what the main node asks this user for. A connection is opened without any
    /// secret; if it goes through, the node trusts the user (and the connection waits in the cache for this
    /// very session), otherwise the node's request says which method to ask the client for.
    /// </summary>
    private async Task<(ClientAuthMethod? Method, AuthOutcome? Refusal)> AskMainNodeAsync(
        CancellationToken cancellationToken)
    {
        // The node's pg_hba.conf reads a replication connection's database field its own way (and a physical one
        // matches only "replication"), so what it asks an ordinary session for says nothing about a walsender.
        var walSender = _walSender != WalSenderKind.None;
        if (!walSender && _runtime.MainNodeAuth.Find(User, Database) is { } known)
        {
            return (known, null);
        }

        if (_runtime.Nodes.MainNode is not { } node)
        {
            return (null, AuthOutcome.Refuse(SqlState.CannotConnectNow, "all backend nodes are down"));
        }

        ClientAuthMethod method;
        try
        {
            var connection = await NodeConnect.OpenAsync(_runtime.BackendConnector, node, _authenticationKey!,
                BackendCredential.None, _runtime.Options.ConnectTimeout, (_client as EpollConnection)?.Loop,
                cancellationToken);
            if (walSender)
            {
                // A walsender is never cached: this one is kept for this very session alone.
                KeepWalSenderProbe(connection);
            }
            else
            {
                _runtime.Pool.Return(connection);
            }

            method = ClientAuthMethod.Trust;
        }
        catch (BackendStartupException e) when (e.AuthenticationRequest is { } code)
        {
            method = code switch
            {
                AuthenticationCode.CleartextPassword => ClientAuthMethod.Password,
                AuthenticationCode.Md5Password => ClientAuthMethod.Md5,
                _ => ClientAuthMethod.ScramSha256,
            };
        }
        catch (BackendStartupException e)
        {
            // The node refused outright (no pg_hba.conf entry, no such database...): pass its reason on.
            return (null, AuthOutcome.Refuse(e.SqlState, e.Message));
        }

        _runtime.Nodes.MarkUp(node, "a session reached it"); // it answered, whatever it asks for
        if (!walSender)
        {
            _runtime.MainNodeAuth.Remember(User, Database, method);
        }

        return (method, null);
    }

    private static ClientAuthMethod MethodOf(string hbaMethod) => hbaMethod switch
    {
        "trust" => ClientAuthMethod.Trust,
        "reject" => ClientAuthMethod.Reject,
        "password" => ClientAuthMethod.Password,
        "md5" => ClientAuthMethod.Md5,
        "scram-sha-256" => ClientAuthMethod.ScramSha256,
        "cert" => ClientAuthMethod.Cert,
        _ => ClientAuthMethod.Unsupported,
    };

    private string HostForMessages => _remoteIp is null ? "[local]" : _remoteIp.ToString();

    private string EncryptionForMessages => IsSsl ? "SSL encryption" : "no encryption";

    /// <summary>
    /// The same answer for an unknown user, a wrong password and a secret that cannot check the answer.
    /// </summary>
    private AuthOutcome PasswordFailed(string logReason) =>
        AuthOutcome.Refuse(SqlState.InvalidPassword, $"password authentication failed for user \"{User}\"", logReason);

    /// <summary>How an authentication attempt ended: a credential for the backends, or a refusal to send.</summary>
    private sealed record AuthOutcome(BackendCredential? Credential, string? SqlState, string? Message,
        string? LogReason, bool ByHba = false)
    {
        public static AuthOutcome Success(BackendCredential credential) => new(credential, null, null, null);

        public static AuthOutcome Refuse(string sqlState, string message, string? logReason = null) =>
            new(null, sqlState, message, logReason);

        /// <summary>pool_hba.conf has no record for the client, or its record says <c>reject</c>.</summary>
        public static AuthOutcome RefuseByHba(string message) =>
            new(null, Protocol.Messages.SqlState.InvalidAuthorizationSpecification, message, null, ByHba: true);

        /// <summary>The client left mid-exchange: nobody to tell.</summary>
        public static AuthOutcome Gone { get; } = new(null, null, null, null);
    }

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
