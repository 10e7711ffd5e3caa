using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
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
    private const string VerifierPrefix = "SCRAM-SHA-256$";

    private readonly int _iterations;
    private readonly byte[] _salt;
    private readonly byte[] _storedKey;
    private readonly byte[] _serverKey;
    private readonly string _serverNonce;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _combinedNonce;
    private string? _expectedChannelBinding;

    /// <summary>Parses <paramref name="storedVerifier"/>; throws <see cref="FormatException"/> when it is not
    /// one.</summary>
    public ScramSha256Server(string storedVerifier)
        : this(storedVerifier, ScramPrimitives.CreateNonce())
    {
    }

    /// <summary>Fixes the server nonce, for known-answer tests.</summary>
    internal ScramSha256Server(string storedVerifier, string serverNonce)
    {
        ArgumentNullException.ThrowIfNull(storedVerifier);
        (_iterations, _salt, _storedKey, _serverKey) = ParseVerifier(storedVerifier);
        _serverNonce = serverNonce;
    }

    /// <summary>The mechanism name to offer in AuthenticationSASL.</summary>
    public static string Mechanism => ScramPrimitives.Mechanism;

    /// <summary>A new verifier with a random 16-byte salt, in the format PostgreSQL stores in pg_authid.</summary>
    public static string CreateVerifier(string password, int iterations = 4096) =>
        CreateVerifier(password, RandomNumberGenerator.GetBytes(ScramPrimitives.SaltLength), iterations);

    internal static string CreateVerifier(string password, byte[] salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        byte[] saltedPassword = ScramPrimitives.SaltedPassword(password, salt, iterations);
        byte[] storedKey = ScramPrimitives.StoredKey(ScramPrimitives.ClientKey(saltedPassword));
        byte[] serverKey = ScramPrimitives.ServerKey(saltedPassword);
        return string.Create(CultureInfo.InvariantCulture,
            $"{VerifierPrefix}{iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:" +
            $"{Convert.ToBase64String(serverKey)}");
    }

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
            $"r={_combinedNonce},s={Convert.ToBase64String(_salt)},i={_iterations}");
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
        byte[] clientSignature = ScramPrimitives.Hmac(_storedKey, authMessage);
        byte[] clientKey = ScramPrimitives.Xor(proof, clientSignature);
        if (!CryptographicOperations.FixedTimeEquals(ScramPrimitives.StoredKey(clientKey), _storedKey))
        {
            return false;
        }

        serverFinal = "v=" + Convert.ToBase64String(ScramPrimitives.Hmac(_serverKey, authMessage));
        return true;
    }

    private static (int Iterations, byte[] Salt, byte[] StoredKey, byte[] ServerKey) ParseVerifier(string verifier)
    {
        // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
        string[] parts = verifier.Split('$');
        if (parts.Length != 3 || parts[0] + "$" != VerifierPrefix)
        {
            throw new FormatException("Not a SCRAM-SHA-256 verifier.");
        }

        string[] iterationAndSalt = parts[1].Split(':');
        string[] keys = parts[2].Split(':');
        if (iterationAndSalt.Length != 2 || keys.Length != 2
            || !int.TryParse(iterationAndSalt[0], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations)
            || iterations <= 0)
        {
            throw new FormatException("Malformed SCRAM-SHA-256 verifier.");
        }

        byte[]? salt = ScramPrimitives.TryFromBase64(iterationAndSalt[1]);
        byte[]? storedKey = ScramPrimitives.TryFromBase64(keys[0]);
        byte[]? serverKey = ScramPrimitives.TryFromBase64(keys[1]);
        if (salt is null || salt.Length == 0 || storedKey?.Length != ScramPrimitives.KeyLength
            || serverKey?.Length != ScramPrimitives.KeyLength)
        {
            throw new FormatException("Malformed SCRAM-SHA-256 verifier.");
        }

        return (iterations, salt, storedKey, serverKey);
    }

    [DoesNotReturn]
    private static void Throw(string message) =>
        ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage, message);
}
