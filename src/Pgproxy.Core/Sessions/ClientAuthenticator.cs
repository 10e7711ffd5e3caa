using System.Security.Cryptography.X509Certificates;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Hba;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Client authentication. pgproxy is the door to every node, so it verifies the client itself and fails closed:
/// with pool_hba.conf on, the first matching record's method decides; with it off, the client is asked for what
/// the main node asks for and the answer is checked against pool_passwd (CVE-2025-46801 was pgpool letting
/// clients through that nobody verified). Unknown users and wrong passwords get the same 28P01 after the same
/// exchange. What the exchange reveals (a verified password, a SCRAM ClientKey) becomes the credential the
/// session logs into the backends with. One instance authenticates one client, once; the session logs the
/// outcome and tells the client (<c>ClientSession.Authentication.cs</c>).
/// </summary>
internal sealed partial class ClientAuthenticator(IClientAuthServices services, IConnectionTransport client,
    ClientAuthRequest request)
{
    private readonly IClientAuthServices _services = services;
    private readonly IConnectionTransport _client = client;
    private readonly ClientAuthRequest _request = request;

    /// <summary>The walsender that asked main for the method (pool_hba.conf off), handed to the session.</summary>
    private BackendConnection? _walSenderProbe;

    private string User => _request.User;

    private string Database => _request.Database;

    /// <summary>
    /// Decides and runs the exchange. A ProtocolViolationException from the client's answers goes to the session,
    /// which ends with 08P01.
    /// </summary>
    public async Task<ClientAuthOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var secret = _services.PoolPasswd.Find(User);
        if (_services.HbaRules is { } rules)
        {
            var rule = HbaMatcher.Match(rules, _request.RemoteIp is null, _request.IsSsl, Database, User,
                _request.RemoteIp, _request.WalSender);
            if (rule is null)
            {
                return ClientAuthOutcome.RefuseByHba(_request.WalSender == WalSenderKind.Physical
                    ? $"no pool_hba.conf entry for replication connection from host \"{HostForMessages}\", " +
                      $"user \"{User}\", {EncryptionForMessages}"
                    : $"no pool_hba.conf entry for host \"{HostForMessages}\", user \"{User}\", " +
                      $"database \"{Database}\", {EncryptionForMessages}");
            }

            var method = MethodOf(rule.Method);
            return method switch
            {
                ClientAuthMethod.Reject => ClientAuthOutcome.RefuseByHba(_request.WalSender == WalSenderKind.Physical
                    ? $"pool_hba.conf rejects replication connection for host \"{HostForMessages}\", " +
                      $"user \"{User}\", {EncryptionForMessages}"
                    : $"pool_hba.conf rejects connection for host \"{HostForMessages}\", user \"{User}\", " +
                      $"database \"{Database}\", {EncryptionForMessages}"),
                ClientAuthMethod.Unsupported => ClientAuthOutcome.Refuse(SqlState.InvalidAuthorizationSpecification,
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
            return ClientAuthOutcome.Success(BackendCredential.None, _walSenderProbe);
        }

        // allow_clear_text_frontend_auth: a user pool_passwd lacks is asked for the password in clear text and
        // the main node checks it; never let through unchecked.
        var verifyWithMainNode = secret is null && _services.Options.AllowClearTextFrontendAuth;
        return await RunMethodAsync(verifyWithMainNode ? ClientAuthMethod.Password : nodeMethod, secret,
            verifyWithMainNode, cancellationToken);
    }

    private async Task<ClientAuthOutcome> RunMethodAsync(ClientAuthMethod method, PasswordSecret? secret,
        bool verifyWithMainNode, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case ClientAuthMethod.Trust:
                return ClientAuthOutcome.Success(BackendCredential.From(secret));
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
    private ClientAuthOutcome CheckCertificate(PasswordSecret? secret) =>
        CheckCertificateUser() is { } refusal
            ? ClientAuthOutcome.Refuse(SqlState.InvalidAuthorizationSpecification, refusal)
            : ClientAuthOutcome.Success(BackendCredential.From(secret));

    /// <summary>
    /// With pool_hba.conf off: what the main node asks this user for. A connection is opened without any
    /// secret; if it goes through, the node trusts the user (and the connection waits in the cache for this
    /// very session), otherwise the node's request says which method to ask the client for.
    /// </summary>
    private async Task<(ClientAuthMethod? Method, ClientAuthOutcome? Refusal)> AskMainNodeAsync(
        CancellationToken cancellationToken)
    {
        // The node's pg_hba.conf reads a replication connection's database field its own way (and a physical one
        // matches only "replication"), so what it asks an ordinary session for says nothing about a walsender.
        var walSender = _request.WalSender != WalSenderKind.None;
        if (!walSender && _services.MainNodeAuth.Find(User, Database) is { } known)
        {
            return (known, null);
        }

        if (_services.Nodes.MainNode is not { } node)
        {
            return (null, ClientAuthOutcome.Refuse(SqlState.CannotConnectNow, "all backend nodes are down"));
        }

        ClientAuthMethod method;
        try
        {
            var connection = await NodeConnect.OpenAsync(_services.BackendConnector, node, _request.Key,
                BackendCredential.None, _services.Options.ConnectTimeout, _request.Loop, cancellationToken);
            if (walSender)
            {
                // A walsender is never cached: this one is kept for this very session alone.
                connection.IsBroken = true;
                _walSenderProbe = connection;
            }
            else
            {
                _services.Pool.Return(connection);
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
            return (null, ClientAuthOutcome.Refuse(e.SqlState, e.Message));
        }

        _services.Nodes.MarkUp(node, "a session reached it"); // it answered, whatever it asks for
        if (!walSender)
        {
            _services.MainNodeAuth.Remember(User, Database, method);
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

    private string HostForMessages => _request.RemoteIp is null ? "[local]" : _request.RemoteIp.ToString();

    private string EncryptionForMessages => _request.IsSsl ? "SSL encryption" : "no encryption";

    /// <summary>
    /// The same answer for an unknown user, a wrong password and a secret that cannot check the answer.
    /// </summary>
    private ClientAuthOutcome PasswordFailed(string logReason) =>
        ClientAuthOutcome.Refuse(SqlState.InvalidPassword, $"password authentication failed for user \"{User}\"",
            logReason);

    /// <summary>
    /// The <c>cert</c> method of pool_hba.conf: the client must have sent a certificate that chains to
    /// <c>ssl_ca_cert</c> (checked in the handshake) and whose common name is the user name. Returns the refusal
    /// message, or null.
    /// </summary>
    private string? CheckCertificateUser()
    {
        if (_request.ClientCertificate is null)
        {
            return "connection requires a valid client certificate";
        }

        var commonName = _request.ClientCertificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return commonName == User ? null : $"certificate authentication failed for user \"{User}\"";
    }
}
