using System.Security.Cryptography;
using System.Text;

namespace Pgproxy.Protocol.Auth;

/// <summary>The SCRAM-SHA-256 building blocks of RFC 5802 §3 / RFC 7677 shared by client and server.</summary>
internal static class ScramPrimitives
{
    public const string Mechanism = "SCRAM-SHA-256";
    public const int KeyLength = 32;

    /// <summary>Nonce size PostgreSQL uses (SCRAM_RAW_NONCE_LEN).</summary>
    public const int NonceLength = 18;

    /// <summary>Salt size PostgreSQL uses for new verifiers (SCRAM_DEFAULT_SALT_LEN).</summary>
    public const int SaltLength = 16;

    /// <summary>Hi(): PBKDF2 with HMAC-SHA-256. The password is used as-is: SASLprep is not applied, which
    /// matches PostgreSQL for ASCII passwords and for any password that is not valid UTF-8 after
    /// normalization.</summary>
    public static byte[] SaltedPassword(string password, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256,
            KeyLength);

    public static byte[] Hmac(ReadOnlySpan<byte> key, string text) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text));

    public static byte[] ClientKey(ReadOnlySpan<byte> saltedPassword) => Hmac(saltedPassword, "Client Key");

    public static byte[] ServerKey(ReadOnlySpan<byte> saltedPassword) => Hmac(saltedPassword, "Server Key");

    public static byte[] StoredKey(ReadOnlySpan<byte> clientKey) => SHA256.HashData(clientKey);

    public static byte[] Xor(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var result = new byte[left.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (byte)(left[i] ^ right[i]);
        }

        return result;
    }

    public static string CreateNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceLength));

    /// <summary>
    /// Splits "a=x,b=y" into attributes in order. Values may contain '=' (base64) but never ','.
    /// Returns null when an attribute is not of the form letter '=' value.
    /// </summary>
    public static List<KeyValuePair<char, string>>? ParseAttributes(string message)
    {
        var attributes = new List<KeyValuePair<char, string>>();
        foreach (string part in message.Split(','))
        {
            if (part.Length < 2 || part[1] != '=' || !char.IsAsciiLetter(part[0]))
            {
                return null;
            }

            attributes.Add(new KeyValuePair<char, string>(part[0], part[2..]));
        }

        return attributes;
    }

    public static string? Find(List<KeyValuePair<char, string>> attributes, char name)
    {
        foreach (KeyValuePair<char, string> attribute in attributes)
        {
            if (attribute.Key == name)
            {
                return attribute.Value;
            }
        }

        return null;
    }

    public static byte[]? TryFromBase64(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out int written) ? buffer[..written] : null;
    }
}
