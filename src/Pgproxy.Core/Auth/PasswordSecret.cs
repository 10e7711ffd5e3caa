using System.Security.Cryptography;
using System.Text;
using Pgproxy.Protocol.Auth;

namespace Pgproxy.Core.Auth;

/// <summary>
/// What pgproxy knows of one user's password: the password itself (TEXT, or AES once decrypted), an md5 hash, or a
/// SCRAM verifier. It answers what each authentication method needs, on the client side (verify) and on the
/// backend side (<see cref="BackendCredential"/>).
/// </summary>
internal sealed class PasswordSecret
{
    private ScramVerifier? _derivedVerifier;

    private PasswordSecret(PasswordKind kind, string? plain, string? md5Hash, ScramVerifier? verifier)
    {
        Kind = kind;
        Plain = plain;
        Md5Hash = md5Hash;
        Verifier = verifier;
    }

    /// <summary>
    /// How the secret was written (an AES entry stays <see cref="PasswordKind.Aes"/> once decrypted).
    /// </summary>
    public PasswordKind Kind { get; }

    /// <summary>The password itself, for TEXT and decrypted AES entries.</summary>
    public string? Plain { get; }

    /// <summary>"md5" + 32 lower-case hex digits, for md5 entries.</summary>
    public string? Md5Hash { get; }

    /// <summary>The stored verifier, for SCRAM-SHA-256 entries.</summary>
    public ScramVerifier? Verifier { get; }

    public static PasswordSecret FromPlain(string password, PasswordKind kind = PasswordKind.Text) =>
        new(kind, password, null, null);

    public static PasswordSecret FromMd5Hash(string md5Hash) =>
        new(PasswordKind.Md5, null, md5Hash.ToLowerInvariant(), null);

    public static PasswordSecret FromScram(ScramVerifier verifier) =>
        new(PasswordKind.ScramSha256, null, null, verifier);

    /// <summary>
    /// The verifier to run SCRAM against: the stored one, or one made once from the password (a fixed random salt,
    /// so a client sees the same salt on every attempt); null for an md5 hash, which cannot answer SCRAM.
    /// </summary>
    public ScramVerifier? ScramVerifier =>
        Verifier ?? (Plain is null ? null : LazyInitializer.EnsureInitialized(ref _derivedVerifier,
            () => ScramVerifier.Create(Plain)));

    /// <summary>The md5 hash for <paramref name="user"/>; null for a SCRAM verifier, which cannot answer md5.</summary>
    public string? Md5HashFor(string user) =>
        Md5Hash ?? (Plain is null ? null : Md5Password.HashForPoolPasswd(user, Plain));

    /// <summary>Checks a clear-text password from a client against whatever form is stored.</summary>
    public bool VerifyCleartext(string user, string password)
    {
        // PostgreSQL never accepts an empty password (CVE-2017-7546).
        if (password.Length == 0)
        {
            return false;
        }

        if (Plain is not null)
        {
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Plain),
                Encoding.UTF8.GetBytes(password));
        }

        if (Md5Hash is not null)
        {
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Md5Hash),
                Encoding.ASCII.GetBytes(Md5Password.HashForPoolPasswd(user, password)));
        }

        return Verifier!.VerifyPassword(password);
    }

    /// <summary>Checks a client's answer to an md5 challenge with <paramref name="salt"/>.</summary>
    public bool VerifyMd5Response(string user, ReadOnlySpan<byte> salt, string response)
    {
        if (Md5HashFor(user) is not { } hash)
        {
            return false;
        }

        var expected = Md5Password.ComputeFromStoredHash(hash, salt);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected),
            Encoding.UTF8.GetBytes(response));
    }

    /// <summary>For messages: what the entry holds, in words.</summary>
    public string Describe() => Kind switch
    {
        PasswordKind.Md5 => "an md5 hash",
        PasswordKind.ScramSha256 => "a SCRAM-SHA-256 verifier",
        PasswordKind.Aes => "an AES-encrypted password",
        _ => "a clear-text password",
    };
}
