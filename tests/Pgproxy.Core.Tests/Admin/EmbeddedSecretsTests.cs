using Pgproxy.Core.Admin;
using Pgproxy.Core.Config;
using Pgproxy.Core.Tests.Config;

namespace Pgproxy.Core.Tests.Admin;

public sealed class EmbeddedSecretsTests
{
    /// <summary>Text with a credential in it → what may be shown. Every secret here contains "hunter2".</summary>
    [Theory]
    // URI userinfo
    [InlineData("curl -X POST https://ops:hunter2@alerts.example.com/failover/%d",
        "curl -X POST https://ops:********@alerts.example.com/failover/%d")]
    [InlineData("psql postgresql://repl:hunter2@10.0.0.5:5432/postgres -c 'select 1'",
        "psql postgresql://repl:********@10.0.0.5:5432/postgres -c 'select 1'")]
    [InlineData("notify 'amqp://guest:hunter2@mq/vhost'", "notify 'amqp://guest:********@mq/vhost'")]
    [InlineData("wget -q http://:hunter2@h/x", "wget -q http://:********@h/x")]
    [InlineData("git+ssh://deploy:hunter2@git.example.com/repo", "git+ssh://deploy:********@git.example.com/repo")]
    [InlineData("https://u:p@ss-hunter2@host/x", "https://u:********@host/x")]
    [InlineData("HTTPS://OPS:hunter2@HOST", "HTTPS://OPS:********@HOST")]
    // conninfo and other name=value / name: value
    [InlineData("psql 'host=h password=hunter2 dbname=x'", "psql 'host=h password=******** dbname=x'")]
    [InlineData("psql \"host=h sslpassword=hunter2\"", "psql \"host=h sslpassword=********\"")]
    [InlineData("host=h password = 'hunter2 x' user=u", "host=h password = ******** user=u")]
    [InlineData("PGPASSWORD=hunter2 /usr/local/bin/failover.sh %d", "PGPASSWORD=******** /usr/local/bin/failover.sh %d")]
    [InlineData("env PGPASSWORD='hunter2' psql -h %H", "env PGPASSWORD=******** psql -h %H")]
    [InlineData("MYSQL_PWD=hunter2 mysql", "MYSQL_PWD=******** mysql")]
    [InlineData("export DB_PASS=hunter2; run", "export DB_PASS=********; run")]
    [InlineData("pwd: hunter2", "pwd: ********")]
    [InlineData("run --password=hunter2 next", "run --password=******** next")]
    [InlineData("run --password='a hunter2 c' next", "run --password=******** next")]
    [InlineData("run --db-password=hunter2", "run --db-password=********")]
    [InlineData("jdbc:postgresql://h/db?user=u&password=hunter2&ssl=true",
        "jdbc:postgresql://h/db?user=u&password=********&ssl=true")]
    [InlineData("notify --json '{\"api_token\": \"hunter2\", \"node\": %d}'",
        "notify --json '{\"api_token\": ********, \"node\": %d}'")]
    [InlineData("SLACK_TOKEN=xoxb-hunter2 notify.sh", "SLACK_TOKEN=******** notify.sh")]
    [InlineData("client_secret: hunter2", "client_secret: ********")]
    [InlineData("AWS_SECRET_ACCESS_KEY=hunter2 aws s3 cp", "AWS_SECRET_ACCESS_KEY=******** aws s3 cp")]
    [InlineData("apiKey=hunter2", "apiKey=********")]
    [InlineData("wd_authkey=hunter2", "wd_authkey=********")]
    [InlineData("passphrase=hunter2", "passphrase=********")]
    [InlineData("password=postgres://u:hunter2@h", "password=********")]
    // headers, curl, sshpass
    [InlineData("curl -H 'Authorization: Bearer hunter2abc' https://h", "curl -H 'Authorization: Bearer ********' https://h")]
    [InlineData("curl -H \"Authorization: Basic aHVudGVyMg==hunter2\" h", "curl -H \"Authorization: Basic ********\" h")]
    [InlineData("notify --header Bearer hunter2-long-token", "notify --header Bearer ********")]
    [InlineData("curl -u ops:hunter2 https://h/x", "curl -u ops:******** https://h/x")]
    [InlineData("curl --user=ops:hunter2 https://h/x", "curl --user=ops:******** https://h/x")]
    [InlineData("sshpass -p hunter2 ssh root@%h promote", "sshpass -p ******** ssh root@%h promote")]
    [InlineData("sshpass -p 'hunter2 x' ssh h", "sshpass -p ******** ssh h")]
    public void Credentials_AreMasked(string text, string shown)
    {
        var masked = EmbeddedSecrets.Mask(text);

        Assert.Equal(shown, masked);
        Assert.DoesNotContain("hunter2", masked, StringComparison.Ordinal);
    }

    /// <summary>Ordinary values, including some that look a little like credentials, come back unchanged.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("/usr/local/bin/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S")]
    [InlineData("ssh postgres@%H /usr/bin/pg_ctl promote -D %R")]
    [InlineData("curl -X POST https://alerts.example.com:8443/failover?node=%d")]
    [InlineData("http://host:8080/path@x")]
    [InlineData("psql 'host=h port=5432 dbname=x user=u passfile=/etc/pgpass sslmode=verify-full'")]
    [InlineData("PGPASSFILE=/etc/pgproxy/.pgpass psql -h %H")]
    [InlineData("password_file=/run/secrets/db password_encryption=scram-sha-256")]
    [InlineData("secret_dir: /run/secrets")]
    [InlineData("run --password mydb")]
    [InlineData("bypass=1 compass: north")]
    [InlineData("docker exec -u 1000:1000 db pg_ctl promote")]
    [InlineData("echo 'node %d is down at 12:30:00' | mail -s 'pgproxy: failover' ops@example.com")]
    [InlineData("'%t: user=%u,db=%d,app=%a,client=%h '")]
    [InlineData("127.0.0.1,::1")]
    [InlineData("postgres,pgproxy_admin")]
    [InlineData("nextval,setval,basic_report")]
    [InlineData("token_url=https://auth.example.com/token")]
    public void OrdinaryText_IsUnchanged(string text) => Assert.Equal(text, EmbeddedSecrets.Mask(text));

    [Theory]
    [InlineData("PGPASSWORD", true)]
    [InlineData("db_password", true)]
    [InlineData("MYSQL_PWD", true)]
    [InlineData("pass", true)]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("clientSecret", true)]
    [InlineData("api-key", true)]
    [InlineData("PGPASSFILE", false)]
    [InlineData("password_file", false)]
    [InlineData("secret_dir", false)]
    [InlineData("bypass", false)]
    [InlineData("user", false)]
    [InlineData("host", false)]
    public void SecretNames(string name, bool secret) => Assert.Equal(secret, EmbeddedSecrets.IsSecretName(name));

    /// <summary>Masking never changes what pgproxy.conf.sample sets: its values are all ordinary.</summary>
    [Fact]
    public void SampleConfigValues_AreShownUnchanged()
    {
        var errors = new List<ConfigDiagnostic>();
        var entries = PgpoolConfigParser.Parse(
            File.ReadAllText(RepoRoot.File("pgproxy.conf.sample")), "pgproxy.conf.sample", errors);
        Assert.Empty(errors);

        Assert.All(entries.Where(e => !ConfigSecrets.IsSecretKey(e.Key)),
            e => Assert.Equal(e.Value, ConfigSecrets.Show(e.Key, e.Value)));
    }
}
