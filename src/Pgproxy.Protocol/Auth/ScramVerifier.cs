using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pgproxy.Protocol.Auth;

/// <summary>
/// A SCRAM-SHA-256 secret as PostgreSQL stores it in pg_authid:
/// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c> (base64 fields). It lets a
/// server check a client's proof or a clear-text password without knowing the password.
/// </summary>
public sealed class ScramVerifier
{
    public const string Prefix = "SCRAM-SHA-256$";

    /// <summary>PostgreSQL's default <c>scram_iterations</c>.</summary>
    public const int DefaultIterations = 4096;

    private ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey)
    {
        Iterations = iterations;
        Salt = salt;
        StoredKey = storedKey;
        ServerKey = serverKey;
    }

    public int Iterations { get; }

    public ReadOnlyMemory<byte> Salt { get; }

    public ReadOnlyMemory<byte> StoredKey { get; }

    public ReadOnlyMemory<byte> ServerKey { get; }

    /// <summary>Parses a stored verifier; throws <see cref="FormatException"/> when it is not one.</summary>
    public static ScramVerifier Parse(string text) =>
        TryParse(text, out var verifier) ? verifier : throw new FormatException("Malformed SCRAM-SHA-256 verifier.");

    public static bool TryParse(string? text, [NotNullWhen(true)] out ScramVerifier? verifier)
    {
        verifier = null;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = text.Split('$');
        if (parts.Length != 3)
        {
            return false;
        }

        var iterationAndSalt = parts[1].Split(':');
        var keys = parts[2].Split(':');
        if (iterationAndSalt.Length != 2 || keys.Length != 2
            || !int.TryParse(iterationAndSalt[0], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations <= 0)
        {
            return false;
        }

        var salt = ScramPrimitives.TryFromBase64(iterationAndSalt[1]);
        var storedKey = ScramPrimitives.TryFromBase64(keys[0]);
        var serverKey = ScramPrimitives.TryFromBase64(keys[1]);
        if (salt is null || salt.Length == 0 || storedKey?.Length != ScramPrimitives.KeyLength
            || serverKey?.Length != ScramPrimitives.KeyLength)
        {
            return false;
        }

        verifier = new ScramVerifier(iterations, salt, storedKey, serverKey);
        return true;
    }

    /// <summary>
    /// A new verifier for <paramref name="password"/> with a random 16-byte salt, as PostgreSQL makes.
    /// </summary>
    public static ScramVerifier Create(string password, int iterations = DefaultIterations) =>
        Create(password, RandomNumberGenerator.GetBytes(ScramPrimitives.SaltLength), iterations);

    public static ScramVerifier Create(string password, ReadOnlySpan<byte> salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        var saltedPassword = ScramPrimitives.SaltedPassword(password, salt, iterations);
        var storedKey = ScramPrimitives.StoredKey(ScramPrimitives.ClientKey(saltedPassword));
        var serverKey = ScramPrimitives.ServerKey(saltedPassword);
        return new ScramVerifier(iterations, salt.ToArray(), storedKey, serverKey);
    }

    /// <summary>
    /// A verifier nobody can satisfy, for a user who has none: the exchange then runs to its end and fails like a
    /// wrong password, so a client cannot tell unknown users from known ones (PostgreSQL's mock_scram_secret).
    /// The salt is derived from the user name and <paramref name="seed"/> so it stays the same on every attempt.
    /// </summary>
    public static ScramVerifier Mock(string user, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(user);
        var input = new byte[seed.Length + Encoding.UTF8.GetByteCount(user)];
        seed.CopyTo(input);
        Encoding.UTF8.GetBytes(user, input.AsSpan(seed.Length));
        var salt = SHA256.HashData(input)[..ScramPrimitives.SaltLength];
        return new ScramVerifier(DefaultIterations, salt, RandomNumberGenerator.GetBytes(ScramPrimitives.KeyLength),
            RandomNumberGenerator.GetBytes(ScramPrimitives.KeyLength));
    }

    /// <summary>True when <paramref name="password"/> is the one this verifier was made from.</summary>
    public bool VerifyPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var saltedPassword = ScramPrimitives.SaltedPassword(password, Salt.Span, Iterations);
        var storedKey = ScramPrimitives.StoredKey(ScramPrimitives.ClientKey(saltedPassword));
        return CryptographicOperations.FixedTimeEquals(storedKey, StoredKey.Span);
    }

    /// <summary>True when <paramref name="clientKey"/> is the ClientKey behind this verifier's StoredKey.</summary>
    public bool MatchesClientKey(ReadOnlySpan<byte> clientKey) =>
        CryptographicOperations.FixedTimeEquals(ScramPrimitives.StoredKey(clientKey), StoredKey.Span);

    /// <summary>The stored form, as PostgreSQL writes it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}{Iterations}:{Convert.ToBase64String(Salt.Span)}${Convert.ToBase64String(StoredKey.Span)}:" +
        $"{Convert.ToBase64String(ServerKey.Span)}");
}
