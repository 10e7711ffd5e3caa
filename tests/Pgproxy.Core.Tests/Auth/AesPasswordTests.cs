using Pgproxy.Core.Auth;

namespace Pgproxy.Core.Tests.Auth;

public sealed class AesPasswordTests
{
    // Made with: printf %s PASSWORD | openssl enc -aes-256-cbc -md sha1 -nosalt -pass pass:KEY -base64 -A
    // (the EVP_BytesToKey derivation pgpool's pg_enc uses).
    [Theory]
    [InlineData("pencil", "my pool key", "2kPPdEC43r0C5GKPom0/yQ==")]
    [InlineData("pässwörd with: colon", "k", "v6NSFtmklfvdOfGBrcZWx3In+4RI6D/BpoK/XCUR2Z0=")]
    public void Encrypt_MatchesOpensslAndPgpool(string password, string key, string expected)
    {
        Assert.Equal(expected, AesPassword.Encrypt(password, key));
        Assert.True(AesPassword.TryDecrypt(expected, key, out var decrypted));
        Assert.Equal(password, decrypted);
    }

    [Fact]
    public void RoundTrip_LongPassword()
    {
        var password = new string('x', 300) + "ü";
        var cipher = AesPassword.Encrypt(password, "key");
        Assert.True(AesPassword.TryDecrypt(cipher, "key", out var decrypted));
        Assert.Equal(password, decrypted);
    }

    [Theory]
    [InlineData("2kPPdEC43r0C5GKPom0/yQ==", "wrong key")]
    [InlineData("not base64!", "my pool key")]
    [InlineData("", "my pool key")]
    [InlineData("2kPPdEC43r0C5GKPom0=", "my pool key")]
    public void TryDecrypt_WrongKeyOrGarbage_ReturnsFalse(string cipher, string key)
    {
        Assert.False(AesPassword.TryDecrypt(cipher, key, out var password));
        Assert.Null(password);
    }
}
