using System.Globalization;
using System.Security.Authentication;
using System.Security.Cryptography;

namespace Pgproxy.Protocol.Auth;

/// <summary>
/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) used when the proxy logs into a PostgreSQL backend.
/// One instance per exchange; call the methods in order. No channel binding ("n,,"), and an empty username, as
/// libpq does: PostgreSQL takes the user from the startup packet. The password is used as-is (no SASLprep).
/// Instead of a password the client may hold a ClientKey and the verifier it belongs to
/// (<see cref="FromClientKey"/>): that answers a server whose salt and iteration count are the verifier's.
/// Failures the server causes throw <see cref="AuthenticationException"/>.
/// </summary>
public sealed class ScramSha256Client
{
    private const string Gs2Header = "n,,";

    /// <summary>base64("n,,"), the channel-binding attribute of the client-final-message.</summary>
    private const string ChannelBinding = "c=biws";

    private readonly string? _password;
    private readonly ScramVerifier? _verifier;
    private readonly byte[]? _clientKey;
    private readonly string _clientNonce;
    private readonly string _userName;
    private string? _clientFirstBare;
    private byte[]? _expectedServerSignature;

    public ScramSha256Client(string password)
        : this(password, ScramPrimitives.CreateNonce())
    {
    }

    /// <summary>Fixes the client nonce and user name, for known-answer tests (RFC 7677 uses user "user").</summary>
    internal ScramSha256Client(string password, string clientNonce, string userName = "")
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentException.ThrowIfNullOrEmpty(clientNonce);
        _password = password;
        _clientNonce = clientNonce;

        // saslname escaping (RFC 5802 §5.1): ',' and '=' would break the attribute syntax.
        _userName = userName
            .Replace("=", "=3D", StringComparison.Ordinal)
            .Replace(",", "=2C", StringComparison.Ordinal);
    }

    private ScramSha256Client(ScramVerifier verifier, byte[] clientKey, string clientNonce)
    {
        _verifier = verifier;
        _clientKey = clientKey;
        _clientNonce = clientNonce;
        _userName = "";
    }

    /// <summary>
    /// A client that proves knowledge of <paramref name="clientKey"/> (recovered from another client's proof)
    /// for <paramref name="verifier"/>. It succeeds only against a server storing that very verifier.
    /// </summary>
    public static ScramSha256Client FromClientKey(ScramVerifier verifier, ReadOnlySpan<byte> clientKey)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        if (!verifier.MatchesClientKey(clientKey))
        {
            throw new ArgumentException("The ClientKey does not belong to the verifier.", nameof(clientKey));
        }

        return new ScramSha256Client(verifier, clientKey.ToArray(), ScramPrimitives.CreateNonce());
    }

    /// <summary>The mechanism name to put in SASLInitialResponse.</summary>
    public static string Mechanism => ScramPrimitives.Mechanism;

    /// <summary>client-first-message: "n,,n=,r=&lt;nonce&gt;".</summary>
    public string CreateClientFirstMessage()
    {
        _clientFirstBare = "n=" + _userName + ",r=" + _clientNonce;
        return Gs2Header + _clientFirstBare;
    }

    /// <summary>
    /// Takes the server-first-message (from AuthenticationSASLContinue) and returns the client-final-message with
    /// the proof. Throws when the server's nonce does not extend ours, or the message is malformed.
    /// </summary>
    public string HandleServerFirstMessage(string serverFirst)
    {
        ArgumentNullException.ThrowIfNull(serverFirst);
        if (_clientFirstBare is null)
        {
            throw new InvalidOperationException("CreateClientFirstMessage must be called first.");
        }

        List<KeyValuePair<char, string>> attributes = ScramPrimitives.ParseAttributes(serverFirst)
            ?? throw Malformed("server-first-message");
        string? nonce = ScramPrimitives.Find(attributes, 'r');
        byte[]? salt = ScramPrimitives.TryFromBase64(ScramPrimitives.Find(attributes, 's'));
        string? iterationText = ScramPrimitives.Find(attributes, 'i');
        if (nonce is null || salt is null || salt.Length == 0 || iterationText is null
            || !int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out int iterations)
            || iterations <= 0)
        {
            throw Malformed("server-first-message");
        }

        // The combined nonce must extend ours, or the server is replaying someone else's exchange.
        if (nonce.Length <= _clientNonce.Length || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            throw new AuthenticationException("SCRAM server nonce does not start with the client nonce.");
        }

        var (clientKey, serverKey) = Keys(salt, iterations);
        byte[] storedKey = ScramPrimitives.StoredKey(clientKey);
        string clientFinalWithoutProof = ChannelBinding + ",r=" + nonce;
        string authMessage = _clientFirstBare + "," + serverFirst + "," + clientFinalWithoutProof;
        byte[] clientSignature = ScramPrimitives.Hmac(storedKey, authMessage);
        byte[] proof = ScramPrimitives.Xor(clientKey, clientSignature);
        _expectedServerSignature = ScramPrimitives.Hmac(serverKey, authMessage);
        return clientFinalWithoutProof + ",p=" + Convert.ToBase64String(proof);
    }

    /// <summary>
    /// Checks the server-final-message (from AuthenticationSASLFinal): throws on "e=" or when the server signature
    /// does not prove the server knew the verifier.
    /// </summary>
    public void VerifyServerFinalMessage(string serverFinal)
    {
        ArgumentNullException.ThrowIfNull(serverFinal);
        if (_expectedServerSignature is null)
        {
            throw new InvalidOperationException("HandleServerFirstMessage must be called first.");
        }

        if (serverFinal.StartsWith("e=", StringComparison.Ordinal))
        {
            throw new AuthenticationException($"SCRAM authentication failed: {serverFinal[2..]}");
        }

        List<KeyValuePair<char, string>> attributes = ScramPrimitives.ParseAttributes(serverFinal)
            ?? throw Malformed("server-final-message");
        byte[] signature = ScramPrimitives.TryFromBase64(ScramPrimitives.Find(attributes, 'v'))
            ?? throw Malformed("server-final-message");
        if (!CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new AuthenticationException("SCRAM server signature is invalid.");
        }
    }

    private (byte[] ClientKey, byte[] ServerKey) Keys(byte[] salt, int iterations)
    {
        if (_password is not null)
        {
            byte[] saltedPassword = ScramPrimitives.SaltedPassword(_password, salt, iterations);
            return (ScramPrimitives.ClientKey(saltedPassword), ScramPrimitives.ServerKey(saltedPassword));
        }

        // A ClientKey only fits the salt and iteration count it was derived with.
        if (iterations != _verifier!.Iterations || !salt.AsSpan().SequenceEqual(_verifier.Salt.Span))
        {
            throw new AuthenticationException(
                "the server's SCRAM salt or iteration count differs from the stored SCRAM verifier");
        }

        return (_clientKey!, _verifier.ServerKey.ToArray());
    }

    private static AuthenticationException Malformed(string what) => new($"Malformed SCRAM {what}.");
}
