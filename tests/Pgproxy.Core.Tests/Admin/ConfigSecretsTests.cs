using Pgproxy.Core.Admin;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Admin;

public sealed class ConfigSecretsTests
{
    [Theory]
    [InlineData("health_check_password")]
    [InlineData("system_db_password")]
    [InlineData("recovery_password")]
    [InlineData("wd_authkey")]
    [InlineData("ssl_passphrase")]
    public void SecretKeys_AreMaskedWhateverTheirValue(string key)
    {
        Assert.Equal(ConfigSecrets.Mask, ConfigSecrets.Show(key, "s3cret"));
        Assert.Equal(ConfigSecrets.Mask, ConfigSecrets.Show(key, ""));
    }

    [Theory]
    [InlineData("pool_passwd", "/etc/pgproxy/pool_passwd")]
    [InlineData("pool_key", "/etc/pgproxy/.pgproxykey")]
    [InlineData("ssl_key", "/etc/ssl/server.key")]
    [InlineData("health_check_user", "postgres")]
    [InlineData("num_init_children", "32")]
    public void OrdinaryKeys_ShowTheirValue(string key, string value) =>
        Assert.Equal(value, ConfigSecrets.Show(key, value));

    [Theory]
    [InlineData("PGPASSWORD=hunter2 /usr/local/bin/failover.sh %d",
        "PGPASSWORD=******** /usr/local/bin/failover.sh %d")]
    [InlineData("psql 'host=h password=hunter2 dbname=x'", "psql 'host=h password=******** dbname=x'")]
    [InlineData("run --password 'a b c'", "run --password 'a b c'")]
    [InlineData("run --password='a b c' next", "run --password=******** next")]
    [InlineData("pwd: hunter2", "pwd: ********")]
    [InlineData("curl -s https://ops:hunter2@alerts.example.com/down/%d", "curl -s https://ops:********@alerts.example.com/down/%d")]
    [InlineData("curl -u ops:hunter2 https://h/%d", "curl -u ops:******** https://h/%d")]
    [InlineData("API_TOKEN=hunter2 notify %d", "API_TOKEN=******** notify %d")]
    public void PasswordsInsideValues_AreMasked(string value, string shown)
    {
        Assert.Equal(shown, ConfigSecrets.Show("failover_command", value));
        Assert.Equal(shown, ConfigSecrets.Show("failback_command", value));
        Assert.DoesNotContain("hunter2", ConfigSecrets.Show("failover_command", value), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRegisteredKeyNamingAPassword_IsMasked()
    {
        var secretKeys = ConfigKeyRegistry.All
            .Where(k => k.Name.EndsWith("password", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(secretKeys);
        Assert.All(secretKeys, k => Assert.True(ConfigSecrets.IsSecretKey(k.Name), k.Name));
    }
}
