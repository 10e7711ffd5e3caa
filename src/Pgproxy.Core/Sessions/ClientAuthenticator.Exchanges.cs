using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// The message exchanges of client authentication: clear-text password, md5 and SCRAM-SHA-256. A user pgproxy
/// cannot check (not in pool_passwd, or a secret that cannot answer the method) goes through the same exchange as
/// everyone else and fails at the same point, so the answers reveal nothing about which users exist.
/// </summary>
internal sealed partial class ClientAuthenticator
{
    /// <summary>
    /// Seeds the salts of mock SCRAM verifiers: stable per user within a run, unguessable across runs.
    /// </summary>
    private static readonly byte[] MockScramSeed = RandomNumberGenerator.GetBytes(32);

    private static readonly string[] ScramMechanisms = [ScramSha256Server.Mechanism];

    private async Task<ClientAuthOutcome> CleartextExchangeAsync(PasswordSecret? secret, bool verifyWithMainNode,
        CancellationToken cancellationToken)
    {
        BackendMessageWriter.WriteAuthenticationCleartextPassword(_client.Output);
        await _client.Output.FlushAsync(cancellationToken);
        if (await ReadAuthenticationMessageAsync(cancellationToken) is not { } body)
        {
            return ClientAuthOutcome.Gone;
        }

        var password = PasswordMessage.ReadPassword(body);
        if (verifyWithMainNode)
        {
            return await VerifyWithMainNodeAsync(password, cancellationToken);
        }

        if (secret is null)
        {
            return PasswordFailed($"user \"{User}\" is not in pool_passwd");
        }

        return secret.VerifyCleartext(User, password)
            ? ClientAuthOutcome.Success(BackendCredential.From(secret, verifiedPassword: password))
            : PasswordFailed("wrong password");
    }

    private async Task<ClientAuthOutcome> Md5ExchangeAsync(PasswordSecret? secret, CancellationToken cancellationToken)
    {
        var salt = RandomNumberGenerator.GetBytes(4);
        BackendMessageWriter.WriteAuthenticationMd5Password(_client.Output, salt);
        await _client.Output.FlushAsync(cancellationToken);
        if (await ReadAuthenticationMessageAsync(cancellationToken) is not { } body)
        {
            return ClientAuthOutcome.Gone;
        }

        var response = PasswordMessage.ReadPassword(body);
        if (secret is null)
        {
            return PasswordFailed($"user \"{User}\" is not in pool_passwd");
        }

        return secret.VerifyMd5Response(User, salt, response)
            ? ClientAuthOutcome.Success(BackendCredential.From(secret))
            : PasswordFailed("wrong password (md5)");
    }

    private async Task<ClientAuthOutcome> ScramExchangeAsync(PasswordSecret? secret,
        CancellationToken cancellationToken)
    {
        var verifier = secret?.ScramVerifier;
        var server = new ScramSha256Server(verifier ?? ScramVerifier.Mock(User, MockScramSeed));
        var output = _client.Output;
        BackendMessageWriter.WriteAuthenticationSasl(output, ScramMechanisms);
        await output.FlushAsync(cancellationToken);
        if (await ReadAuthenticationMessageAsync(cancellationToken) is not { } initial)
        {
            return ClientAuthOutcome.Gone;
        }

        var (mechanism, data) = PasswordMessage.ReadSaslInitialResponse(initial);
        if (mechanism != ScramSha256Server.Mechanism)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage,
                $"client selected an invalid SASL authentication mechanism \"{mechanism}\"");
        }

        if (data is null)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage,
                "malformed SCRAM message: the client-first-message is missing");
        }

        var serverFirst = server.HandleClientFirstMessage(PasswordMessage.DecodeSaslData(data));
        BackendMessageWriter.WriteAuthenticationSaslContinue(output, Encoding.UTF8.GetBytes(serverFirst));
        await output.FlushAsync(cancellationToken);
        if (await ReadAuthenticationMessageAsync(cancellationToken) is not { } final)
        {
            return ClientAuthOutcome.Gone;
        }

        if (!server.TryHandleClientFinalMessage(PasswordMessage.DecodeSaslData(final), out var serverFinal))
        {
            return PasswordFailed(secret is null ? $"user \"{User}\" is not in pool_passwd"
                : verifier is null ? $"pool_passwd holds {secret.Describe()} for the user, which cannot check SCRAM"
                : "wrong password (SCRAM-SHA-256)");
        }

        // Sent with AuthenticationOk once the backends are ready; the client reads both together.
        BackendMessageWriter.WriteAuthenticationSaslFinal(output, Encoding.UTF8.GetBytes(serverFinal));
        return ClientAuthOutcome.Success(BackendCredential.From(secret, clientKey: server.ClientKey));
    }

    /// <summary>
    /// allow_clear_text_frontend_auth for a user pool_passwd lacks: the main node checks the password by a login
    /// of its own (the connection then waits in the cache for this session), so nobody gets in unchecked, not even
    /// through a cached backend connection.
    /// </summary>
    private async Task<ClientAuthOutcome> VerifyWithMainNodeAsync(string password, CancellationToken cancellationToken)
    {
        if (password.Length == 0)
        {
            return PasswordFailed("empty password");
        }

        if (_services.Nodes.MainNode is not { } node)
        {
            return ClientAuthOutcome.Refuse(SqlState.CannotConnectNow, "all backend nodes are down");
        }

        var credential = BackendCredential.FromPassword(password);
        try
        {
            var connection = await NodeConnect.OpenAsync(_services.BackendConnector, node, _request.Key,
                credential, _services.Options.ConnectTimeout, _request.Loop, cancellationToken);
            _services.Nodes.MarkUp(node, "a session reached it");
            _services.Pool.Return(connection);
            return ClientAuthOutcome.Success(credential);
        }
        catch (BackendStartupException e) when (e.SqlState == SqlState.InvalidPassword)
        {
            return PasswordFailed($"main node {node.NodeId} refused the password: {e.Message}");
        }
        catch (BackendStartupException e)
        {
            return ClientAuthOutcome.Refuse(e.SqlState, e.Message);
        }
    }

    /// <summary>
    /// Reads the client's next authentication message ('p') whole and returns its body; null when the client
    /// closed the connection or sent Terminate (psql does that when it learns a password is needed and has none).
    /// Any other message is a protocol violation. The body is at most PG_MAX_AUTH_TOKEN_LENGTH, checked from the
    /// header before anything is buffered.
    /// </summary>
    private async Task<byte[]?> ReadAuthenticationMessageAsync(CancellationToken cancellationToken)
    {
        var input = _client.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            FrameHeader header;
            try
            {
                if (!FrameReader.TryReadHeader(buffer, out header))
                {
                    header = default;
                }
                else if (header.Type != FrontendMessageType.PasswordMessage
                         && header.Type != FrontendMessageType.Terminate)
                {
                    ProtocolViolationException.Throw(ProtocolViolationReason.UnexpectedMessage,
                        $"expected password response, got message type {header.Type}");
                }
                else
                {
                    FrameReader.ValidateFrontend(header, duringAuthentication: true);
                }
            }
            catch (ProtocolViolationException)
            {
                input.AdvanceTo(buffer.Start);
                throw;
            }

            if (header.Type == FrontendMessageType.Terminate)
            {
                input.AdvanceTo(buffer.Start);
                return null;
            }

            if (header.Length > 0 && buffer.Length >= header.TotalLength)
            {
                var body = buffer.Slice(FrameHeader.Size, header.BodyLength).ToArray();
                input.AdvanceTo(buffer.GetPosition(header.TotalLength));
                return body;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }
}
