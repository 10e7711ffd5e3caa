using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Pgproxy.Protocol.Auth;

/// <summary>
/// PostgreSQL's MD5 password scheme (md5.c, pg_md5_encrypt). The stored hash is "md5" + hex(md5(password + user));
/// the wire response to a 4-byte salt is "md5" + hex(md5(hex-of-stored-hash + salt)). Hex is lowercase.
/// </summary>
[SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
    Justification = "MD5 is what the PostgreSQL md5 authentication method specifies; the proxy must speak it.")]
public static class Md5Password
{
    private const string Prefix = "md5";

    /// <summary>Length of a stored hash: "md5" plus 32 hex digits.</summary>
    public const int StoredHashLength = 35;

    /// <summary>The response a client sends to AuthenticationMD5Password.</summary>
    public static string Compute(string user, string password, ReadOnlySpan<byte> salt) =>
        ComputeFromStoredHash(HashForPoolPasswd(user, password), salt);

    /// <summary>The form stored in pg_authid (pre-SCRAM) and in pgpool's pool_passwd.</summary>
    public static string HashForPoolPasswd(string user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        byte[] hash = MD5.HashData(Encoding.UTF8.GetBytes(password + user));
        return Prefix + Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The salted response computed from a stored "md5…" hash, which is all the proxy knows when pool_passwd
    /// holds hashes rather than passwords.
    /// </summary>
    public static string ComputeFromStoredHash(string storedMd5Hash, ReadOnlySpan<byte> salt)
    {
        ArgumentNullException.ThrowIfNull(storedMd5Hash);
        if (storedMd5Hash.Length != StoredHashLength || !storedMd5Hash.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("Expected \"md5\" followed by 32 hex digits.", nameof(storedMd5Hash));
        }

        // The inner hash is hashed as its ASCII hex text, not as its 16 raw bytes.
        Span<byte> input = stackalloc byte[32 + salt.Length];
        Encoding.ASCII.GetBytes(storedMd5Hash.AsSpan(Prefix.Length), input);
        salt.CopyTo(input[32..]);
        return Prefix + Convert.ToHexStringLower(MD5.HashData(input));
    }
}
