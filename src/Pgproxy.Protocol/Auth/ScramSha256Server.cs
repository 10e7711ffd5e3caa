using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Auth;

/// <summary>
/// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) used when clients authenticate to the proxy, checked
/// against a PostgreSQL verifier "SCRAM-SHA-256$&lt;iter&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;" (base64
/// fields). One instance per exchange. Channel binding is not offered; the username attribute is ignored, as
/// PostgreSQL does, because the user comes from the startup packet. Malformed client messages throw
/// <see cref="ProtocolViolationException"/> (<see cref="ProtocolViolationReason.MalformedMessage"/>), as PostgreSQL
/// answers them with 08P01.
/// </summary>
public sealed class ScramSha256Server
{
    private readonly ScramVerifier _verifier;
    private readonly string _serverNonce;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _combinedNonce;
    private string? _expectedChannelBinding;

    /// <summary>Parses <paramref name="storedVerifier"/>; throws <see cref="FormatException"/> when it is not
    /// one.</summary>
    public ScramSha256Server(string storedVerifier)
        : this(ScramVerifier.Parse(storedVerifier))
    {
    }

    public ScramSha256Server(ScramVerifier verifier)
        : this(verifier, ScramPrimitives.CreateNonce())
    {
    }

    /// <summary>Fixes the server nonce, for known-answer tests.</summary>
    internal ScramSha256Server(string storedVerifier, string serverNonce)
        : this(ScramVerifier.Parse(storedVerifier), serverNonce)
    {
    }

    internal ScramSha256Server(ScramVerifier verifier, string serverNonce)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _verifier = verifier;
        _serverNonce = serverNonce;
    }

    /// <summary>The mechanism name to offer in AuthenticationSASL.</summary>
    public static string Mechanism => ScramPrimitives.Mechanism;

    /// <summary>
    /// The client's ClientKey, recovered from its proof once <see cref="TryHandleClientFinalMessage"/> succeeded
    /// (ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage)); null before. With it the proxy can answer a
    /// backend's SCRAM exchange for the same verifier without knowing the password.
    /// </summary>
    public ReadOnlyMemory<byte>? ClientKey { get; private set; }

    /// <summary>A new verifier with a random 16-byte salt, in the format PostgreSQL stores in pg_authid.</summary>
    public static string CreateVerifier(string password, int iterations = ScramVerifier.DefaultIterations) =>
        ScramVerifier.Create(password, iterations).ToString();

    internal static string CreateVerifier(string password, byte[] salt, int iterations) =>
        ScramVerifier.Create(password, salt, iterations).ToString();

    /// <summary>
    /// Takes the client-first-message (from SASLInitialResponse) and returns the server-first-message. Accepts the
    /// GS2 headers "n,," and "y,,"; rejects channel binding ("p=…") and authorization identities.
    /// </summary>
    public string HandleClientFirstMessage(string clientFirst)
    {
        ArgumentNullException.ThrowIfNull(clientFirst);
        if (clientFirst.StartsWith("p=", StringComparison.Ordinal))
        {
            Throw("the client requested SCRAM channel binding, which the proxy does not support " +
                "(use SCRAM-SHA-256, not SCRAM-SHA-256-PLUS)");
        }

        if (!clientFirst.StartsWith("n,", StringComparison.Ordinal) &&
            !clientFirst.StartsWith("y,", StringComparison.Ordinal))
        {
            Throw("malformed SCRAM message: unexpected channel-binding flag");
        }

        if (clientFirst.Length < 3 || clientFirst[2] != ',')
        {
            Throw("client uses authorization identity, but it is not supported");
        }

        string gs2Header = clientFirst[..3];
        string bare = clientFirst[3..];
        List<KeyValuePair<char, string>>? attributes = ScramPrimitives.ParseAttributes(bare);
        if (attributes is null || attributes.Count < 2 || attributes[0].Key != 'n' || attributes[1].Key != 'r'
            || attributes[1].Value.Length == 0)
        {
            Throw("malformed SCRAM message: invalid client-first-message");
        }

        string clientNonce = attributes[1].Value;
        _clientFirstBare = bare;
        _expectedChannelBinding = Convert.ToBase64String(Encoding.ASCII.GetBytes(gs2Header));
        _combinedNonce = clientNonce + _serverNonce;
        _serverFirst = string.Create(CultureInfo.InvariantCulture,
            $"r={_combinedNonce},s={Convert.ToBase64String(_verifier.Salt.Span)},i={_verifier.Iterations}");
        return _serverFirst;
    }

    /// <summary>
    /// Verifies the client-final-message (from SASLResponse). True with the server-final-message ("v=…") when the
    /// proof is right; false with "" when the password is wrong (the caller sends 28P01, as PostgreSQL does).
    /// Throws <see cref="ProtocolViolationException"/> when the message is malformed or its nonce or channel
    /// binding does not match.
    /// </summary>
    public bool TryHandleClientFinalMessage(string clientFinal, out string serverFinal)
    {
        ArgumentNullException.ThrowIfNull(clientFinal);
        if (_clientFirstBare is null || _serverFirst is null)
        {
            throw new InvalidOperationException("HandleClientFirstMessage must be called first.");
        }

        serverFinal = "";
        int proofStart = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
        List<KeyValuePair<char, string>>? attributes = ScramPrimitives.ParseAttributes(clientFinal);
        if (proofStart < 0 || attributes is null || attributes.Count < 3 || attributes[0].Key != 'c'
            || attributes[1].Key != 'r' || attributes[^1].Key != 'p')
        {
            Throw("malformed SCRAM message: invalid client-final-message");
        }

        if (attributes[0].Value != _expectedChannelBinding)
        {
            Throw("SCRAM channel binding check failed");
        }

        if (attributes[1].Value != _combinedNonce)
        {
            Throw("malformed SCRAM message: nonce does not match");
        }

        byte[]? proof = ScramPrimitives.TryFromBase64(attributes[^1].Value);
        if (proof is null || proof.Length != ScramPrimitives.KeyLength)
        {
            Throw("malformed SCRAM message: invalid proof");
        }

        string authMessage = _clientFirstBare + "," + _serverFirst + "," + clientFinal[..proofStart];
        byte[] clientSignature = ScramPrimitives.Hmac(_verifier.StoredKey.Span, authMessage);
        byte[] clientKey = ScramPrimitives.Xor(proof, clientSignature);
        if (!_verifier.MatchesClientKey(clientKey))
        {
            return false;
        }

        ClientKey = clientKey;
        serverFinal = "v=" + Convert.ToBase64String(ScramPrimitives.Hmac(_verifier.ServerKey.Span, authMessage));
        return true;
    }

    [DoesNotReturn]
    private static void Throw(string message) =>
        ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage, message);
}
