using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.Protocol.Auth;

namespace Pgproxy.Core.Tests.Auth;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes of the key file
public sealed class PoolPasswdTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgproxy-passwd-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Load_EveryForm_VerifiesTheRightPasswordOnly()
    {
        var key = WriteKey("my pool key");
        var passwd = Write(
            $"""
            md5user:{Md5Password.HashForPoolPasswd("md5user", "pw1")}
            scramuser:{ScramSha256Server.CreateVerifier("pw2", iterations: 16)}
            textuser:TEXTpw3
            aesuser:AES{AesPassword.Encrypt("pw4", "my pool key")}
            """);

        var store = PoolPasswd.Load(passwd, key, []);

        Assert.Equal(4, store.Count);
        Assert.Equal("my pool key", store.Key);
        Assert.True(store.Find("md5user")!.VerifyCleartext("md5user", "pw1"));
        Assert.False(store.Find("md5user")!.VerifyCleartext("md5user", "pw2"));
        Assert.True(store.Find("scramuser")!.VerifyCleartext("scramuser", "pw2"));
        Assert.False(store.Find("scramuser")!.VerifyCleartext("scramuser", "pw1"));
        Assert.Equal("pw3", store.Find("textuser")!.Plain);
        var aes = store.Find("aesuser")!;
        Assert.Equal(PasswordKind.Aes, aes.Kind);
        Assert.Equal("pw4", aes.Plain);
        Assert.False(aes.VerifyCleartext("aesuser", ""));
        Assert.Null(store.Find("nobody"));
    }

    [Fact]
    public void Load_AesWithoutKey_FailsNamingFileLineAndUser()
    {
        var passwd = Write($"ok:TEXTx\naesuser:AES{AesPassword.Encrypt("pw", "k")}\n");

        var ex = Assert.Throws<ProxyConfigurationException>(
            () => PoolPasswd.Load(passwd, Path.Combine(_folder, "missing-key"), []));

        var problem = Assert.Single(ex.Problems);
        Assert.StartsWith($"{passwd}:2: cannot decrypt the AES password of user \"aesuser\": no pool key file",
            problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AesWithWrongKey_Fails()
    {
        var passwd = Write($"aesuser:AES{AesPassword.Encrypt("pw", "right")}\n");

        var ex = Assert.Throws<ProxyConfigurationException>(() => PoolPasswd.Load(passwd, WriteKey("wrong"), []));

        Assert.Contains("was not encrypted with the key", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SyntaxErrors_AllReported()
    {
        var passwd = Write("a\nb:\nc:TEXTc\n");

        var ex = Assert.Throws<ProxyConfigurationException>(() => PoolPasswd.Load(passwd, "/nonexistent/key", []));

        Assert.Equal([$"{passwd}:1", $"{passwd}:2"], ex.Problems.Select(p => p[..p.IndexOf(": ", StringComparison.Ordinal)]));
    }

    [Fact]
    public void Load_KeyFileReadableByOthers_Warns()
    {
        var key = WriteKey("k");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var warnings = new List<string>();

        PoolPasswd.Load("", key, warnings);

        Assert.Contains("group or world access", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFile_FirstLineIsTheKey()
    {
        var key = Path.Combine(_folder, "key");
        File.WriteAllText(key, "line one\nline two\n");
        Assert.Equal("line one", PoolKey.TryRead(key, out _, out _));
        Assert.Null(PoolKey.TryRead(Path.Combine(_folder, "absent"), out var problem, out _));
        Assert.Null(problem);
    }

    [Fact]
    public void PlainSecret_AnswersMd5AndScram_Md5HashOnlyMd5_VerifierOnlyScram()
    {
        var plain = PasswordSecret.FromPlain("pw");
        var md5 = PasswordSecret.FromMd5Hash(Md5Password.HashForPoolPasswd("u", "pw"));
        var scram = PasswordSecret.FromScram(ScramVerifier.Create("pw", iterations: 16));
        byte[] salt = [1, 2, 3, 4];
        var response = Md5Password.Compute("u", "pw", salt);

        Assert.True(plain.VerifyMd5Response("u", salt, response));
        Assert.True(md5.VerifyMd5Response("u", salt, response));
        Assert.False(scram.VerifyMd5Response("u", salt, response));
        Assert.False(md5.VerifyMd5Response("u", salt, Md5Password.Compute("u", "other", salt)));
        Assert.Same(plain.ScramVerifier, plain.ScramVerifier); // one salt for every attempt
        Assert.True(plain.ScramVerifier!.VerifyPassword("pw"));
        Assert.Null(md5.ScramVerifier);
    }

    [Fact]
    public void ConfiguredPassword_EveryForm()
    {
        var key = WriteKey("k");
        var store = PoolPasswd.Load(Write("hc:TEXTfrom-pool-passwd\n"), key, []);

        Assert.Equal("from-pool-passwd", ConfiguredPassword.ResolvePlain("", "hc", store, out _));
        Assert.Equal("plain:with colon", ConfiguredPassword.ResolvePlain("plain:with colon", "hc", store, out _));
        Assert.Equal("x", ConfiguredPassword.ResolvePlain("TEXTx", "hc", store, out _));
        Assert.Equal("secret", ConfiguredPassword.ResolvePlain("AES" + AesPassword.Encrypt("secret", "k"), "hc",
            store, out _));

        var md5 = ConfiguredPassword.Resolve(Md5Password.HashForPoolPasswd("hc", "pw"), "hc", store, out _)!;
        Assert.Null(md5.Password);
        Assert.Equal(Md5Password.Compute("hc", "pw", [9, 9, 9, 9]), md5.Md5Response("hc", [9, 9, 9, 9]));

        Assert.Null(ConfiguredPassword.Resolve("AES" + AesPassword.Encrypt("secret", "other"), "hc", store,
            out var problem));
        Assert.Contains("cannot decrypt", problem, StringComparison.Ordinal);
        Assert.Same(BackendCredential.None, ConfiguredPassword.Resolve("", "stranger", store, out _));
    }

    private string Write(string text)
    {
        var path = Path.Combine(_folder, "pool_passwd");
        File.WriteAllText(path, text);
        return path;
    }

    private string WriteKey(string key)
    {
        var path = Path.Combine(_folder, "pgproxykey");
        File.WriteAllText(path, key + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
