using Pgproxy.Protocol.Auth;

namespace Pgproxy.Protocol.Tests.Auth;

public class Md5PasswordTests
{
    // printf '%s' 'secretpostgres' | md5sum
    private const string PostgresSecretHash = "md553f48b7c4b76a86ce72276c5755f217d";

    // h=53f48b7c4b76a86ce72276c5755f217d; printf '%s\x01\x02\x03\x04' "$h" | md5sum
    private const string SaltedResponse = "md5bb41a296aab6baccb36ff243a562abff";

    [Fact]
    public void HashForPoolPasswd_KnownUser_MatchesMd5sum()
    {
        Assert.Equal(PostgresSecretHash, Md5Password.HashForPoolPasswd("postgres", "secret"));
    }

    [Fact]
    public void Compute_KnownSalt_MatchesMd5sum()
    {
        Assert.Equal(SaltedResponse, Md5Password.Compute("postgres", "secret", [1, 2, 3, 4]));
    }

    [Fact]
    public void ComputeFromStoredHash_SameAsFromPassword()
    {
        Assert.Equal(SaltedResponse, Md5Password.ComputeFromStoredHash(PostgresSecretHash, [1, 2, 3, 4]));
    }

    [Theory]
    [InlineData("53f48b7c4b76a86ce72276c5755f217d")]
    [InlineData("md5short")]
    [InlineData("SCRAM-SHA-256$4096:abc")]
    public void ComputeFromStoredHash_NotMd5Hash_Throws(string stored)
    {
        Assert.Throws<ArgumentException>(() => Md5Password.ComputeFromStoredHash(stored, [1, 2, 3, 4]));
    }
}
