using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Pgproxy.Core.Auth;

/// <summary>
/// pgpool-II's AES password format (pg_enc, src/utils/ssl_utils.c), so pool_passwd files move between the two:
/// AES-256-CBC with PKCS#7 padding; key and IV come from the key string by OpenSSL's EVP_BytesToKey with SHA-1,
/// no salt and one round; the ciphertext is base64-encoded after the <c>AES</c> prefix. The same bytes come out of
/// <c>printf %s PASSWORD | openssl enc -aes-256-cbc -md sha1 -nosalt -pass pass:KEY -base64 -A</c>.
/// </summary>
[SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
    Justification = "SHA-1 in EVP_BytesToKey is pgpool's key derivation; pool_passwd files must stay compatible.")]
[SuppressMessage("Security", "CA5401:Do not use CreateEncryptor with non-default IV",
    Justification = "The IV is derived from the key as pgpool derives it; the format is fixed by pgpool.")]
internal static class AesPassword
{
    public const string Prefix = "AES";

    private const int KeyLength = 32;
    private const int IvLength = 16;

    /// <summary>
    /// The base64 ciphertext (without the prefix) of <paramref name="password"/> under <paramref name="key"/>.
    /// </summary>
    public static string Encrypt(string password, string key)
    {
        ArgumentNullException.ThrowIfNull(password);
        using var aes = Create(key, out var iv);
        return Convert.ToBase64String(aes.EncryptCbc(Encoding.UTF8.GetBytes(password), iv));
    }

    /// <summary>
    /// Decrypts base64 ciphertext; false when it is not base64, or the key is not the one it was made with.
    /// </summary>
    public static bool TryDecrypt(string base64, string key, [NotNullWhen(true)] out string? password)
    {
        ArgumentNullException.ThrowIfNull(base64);
        password = null;
        byte[] cipherText;
        try
        {
            cipherText = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return false;
        }

        if (cipherText.Length == 0 || cipherText.Length % IvLength != 0)
        {
            return false;
        }

        using var aes = Create(key, out var iv);
        try
        {
            var plain = aes.DecryptCbc(cipherText, iv);
            // A wrong key yields valid padding about once in 256 tries; garbage is rarely valid UTF-8 as well.
            password = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plain);
            return password.Length > 0 && !password.Contains('\0', StringComparison.Ordinal);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static Aes Create(string key, out byte[] iv)
    {
        ArgumentNullException.ThrowIfNull(key);
        var material = BytesToKey(Encoding.UTF8.GetBytes(key));
        var aes = Aes.Create();
        aes.Key = material[..KeyLength];
        iv = material[KeyLength..];
        return aes;
    }

    /// <summary>EVP_BytesToKey(SHA-1, no salt, count 1): D1 = H(key), Di = H(Di-1 + key), until 48 bytes.</summary>
    private static byte[] BytesToKey(byte[] key)
    {
        var material = new byte[KeyLength + IvLength];
        var filled = 0;
        var previous = Array.Empty<byte>();
        while (filled < material.Length)
        {
            previous = SHA1.HashData([.. previous, .. key]);
            var take = Math.Min(previous.Length, material.Length - filled);
            previous.AsSpan(0, take).CopyTo(material.AsSpan(filled));
            filled += take;
        }

        return material;
    }
}
