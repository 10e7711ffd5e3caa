using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Pgproxy.Core.Tls;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Backends;

internal sealed partial class BackendConnection
{
    /// <summary>
    /// Connects to a node, switches to TLS when <paramref name="tls"/> asks for it and the node agrees, and runs
    /// the startup phase up to the first ReadyForQuery: StartupMessage,
    /// authentication (trust, cleartext, md5 or SCRAM-SHA-256 with what <paramref name="credential"/> holds),
    /// ParameterStatus and BackendKeyData. A refusal by PostgreSQL becomes a <see cref="BackendStartupException"/>
    /// carrying PostgreSQL's own SQLSTATE and message.
    /// </summary>
    public static async Task<BackendConnection> OpenAsync(int nodeId, BackendEndpoint endpoint, BackendPoolKey key,
        BackendCredential? credential, int connectTimeoutMs, EpollLoop? loop, ProxyTls? tls,
        CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await endpoint.ConnectAsync(connectTimeoutMs, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            throw new BackendStartupException(SqlState.SqlClientUnableToEstablishConnection,
                $"pgproxy could not connect to backend node {nodeId} at {endpoint}: {e.Message}", inner: e);
        }

        var transport = await NegotiateTlsAsync(EpollConnection.Create(socket, loop), nodeId, endpoint, tls,
            connectTimeoutMs, cancellationToken);
        return await StartAsync(new BackendConnection(transport, nodeId, endpoint, key), credential, connectTimeoutMs,
            cancellationToken);
    }

    /// <summary>
    /// Runs the startup phase on an already connected transport; disposes the connection when it fails.
    /// </summary>
    internal static async Task<BackendConnection> StartAsync(BackendConnection connection,
        BackendCredential? credential, int connectTimeoutMs, CancellationToken cancellationToken)
    {
        var nodeId = connection.NodeId;
        var endpoint = connection.Endpoint;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (connectTimeoutMs > 0)
            {
                timeout.CancelAfter(connectTimeoutMs);
            }

            await connection.RunStartupAsync(credential ?? BackendCredential.None, timeout.Token);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            throw new BackendStartupException(SqlState.SqlClientUnableToEstablishConnection,
                $"timed out during startup with backend node {nodeId} at {endpoint}");
        }
        catch (Exception e) when (e is IOException or SocketException or ProtocolViolationException)
        {
            await connection.DisposeAsync();
            throw new BackendStartupException(SqlState.ConnectionFailure,
                $"lost backend node {nodeId} at {endpoint} during startup: {e.Message}", inner: e);
        }
        catch (AuthenticationException e)
        {
            // The node's SCRAM answers did not add up (bad signature, foreign salt for a passed-through key...).
            await connection.DisposeAsync();
            throw new BackendStartupException(SqlState.InvalidAuthorizationSpecification,
                $"SCRAM authentication with backend node {nodeId} failed for user \"{connection.Key.User}\": " +
                e.Message, inner: e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task RunStartupAsync(BackendCredential credential, CancellationToken cancellationToken)
    {
        FrontendMessageWriter.WriteStartupParameters(Output, StartupPacket.ProtocolVersion30, Key.StartupParameters());
        await Output.FlushAsync(cancellationToken);

        ScramSha256Client? scram = null;
        while (true)
        {
            var message = await WholeMessageReader.ReadAsync(Input, cancellationToken)
                ?? throw new BackendStartupException(SqlState.ConnectionFailure,
                    $"backend node {NodeId} closed the connection during startup");
            var (type, body) = message;
            switch ((BackendMessageType)type)
            {
                case BackendMessageType.AuthenticationRequest:
                    scram = await AnswerAuthenticationAsync(body, credential, scram, cancellationToken);
                    break;
                case BackendMessageType.ParameterStatus:
                    var (name, value) = ParameterStatusMessage.Read(body);
                    SetParameter(name, value);
                    break;
                case BackendMessageType.BackendKeyData:
                    (ProcessId, SecretKey) = BackendKeyDataMessage.Read(body);
                    break;
                case BackendMessageType.ErrorResponse:
                    var error = ErrorResponseMessage.Parse(body);
                    throw new BackendStartupException(error.SqlState ?? SqlState.ConnectionFailure,
                        error.Message ?? "backend refused the connection", error.Detail);
                case BackendMessageType.ReadyForQuery:
                    TransactionStatus = ReadyForQueryMessage.Read(body);
                    return;
                default:
                    // NoticeResponse and NegotiateProtocolVersion need no answer during startup.
                    break;
            }
        }
    }

    private async Task<ScramSha256Client?> AnswerAuthenticationAsync(byte[] body, BackendCredential credential,
        ScramSha256Client? scram, CancellationToken cancellationToken)
    {
        var code = AuthenticationRequestMessage.ReadCode(body);
        switch (code)
        {
            case AuthenticationCode.Ok:
                return scram;
            case AuthenticationCode.CleartextPassword:
                FrontendMessageWriter.WritePasswordMessage(Output,
                    credential.Password ?? throw Unanswerable(code, "a clear-text password", credential));
                break;
            case AuthenticationCode.Md5Password:
                var salt = AuthenticationRequestMessage.ReadData(body);
                FrontendMessageWriter.WritePasswordMessage(Output, credential.Md5Response(Key.User, salt)
                    ?? throw Unanswerable(code, "md5 authentication", credential));
                break;
            case AuthenticationCode.Sasl:
                var mechanisms = AuthenticationRequestMessage.ReadSaslMechanisms(body);
                if (!mechanisms.Contains("SCRAM-SHA-256"))
                {
                    throw new BackendStartupException(SqlState.FeatureNotSupported,
                        $"backend node {NodeId} offers no SASL mechanism pgproxy supports ({string.Join(", ", mechanisms)})");
                }

                scram = credential.CreateScramClient()
                    ?? throw Unanswerable(code, "SCRAM-SHA-256 authentication", credential);
                FrontendMessageWriter.WriteSaslInitialResponse(Output, "SCRAM-SHA-256",
                    Encoding.UTF8.GetBytes(scram.CreateClientFirstMessage()));
                break;
            case AuthenticationCode.SaslContinue when scram is not null:
                var final = scram.HandleServerFirstMessage(
                    Encoding.UTF8.GetString(AuthenticationRequestMessage.ReadData(body)));
                FrontendMessageWriter.WriteSaslResponse(Output, Encoding.UTF8.GetBytes(final));
                break;
            case AuthenticationCode.SaslFinal when scram is not null:
                scram.VerifyServerFinalMessage(Encoding.UTF8.GetString(AuthenticationRequestMessage.ReadData(body)));
                return scram;
            default:
                throw new BackendStartupException(SqlState.FeatureNotSupported,
                    $"backend node {NodeId} asked for authentication method {code}, which pgproxy does not support");
        }

        await Output.FlushAsync(cancellationToken);
        return scram;
    }

    /// <summary>The node wants a secret pgproxy does not have in a usable form: say which, for whom and why.</summary>
    private BackendStartupException Unanswerable(int code, string what, BackendCredential credential) =>
        new(SqlState.InvalidAuthorizationSpecification,
            $"backend node {NodeId} requires {what} for user \"{Key.User}\", and pgproxy has " +
            $"{credential.Holds}",
            code == AuthenticationCode.Sasl && credential.Verifier is not null
                ? "A SCRAM verifier in pool_passwd logs into a node only when the client authenticated with SCRAM " +
                  "and the node stores the very same verifier; otherwise store the password (TEXT or AES)."
                : "Add the user's password to pool_passwd (pgproxy passwd), or use trust between pgproxy and " +
                  "PostgreSQL.")
        {
            AuthenticationRequest = code,
        };
}
