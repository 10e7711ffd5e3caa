using Npgsql;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Auth;

/// <summary>
/// Each test starts its own pgproxy in front of the <see cref="AuthNode"/> with its own pool_hba.conf, pool_passwd
/// and AES key file, written into a temp folder.
/// </summary>
public abstract class AuthTestBase(AuthNode cluster) : IAsyncLifetime
{
    protected const string Key = "integration test key";
    private readonly string _folder = Directory.CreateTempSubdirectory("pgproxy-auth-").FullName;
    private ProxyHost? _proxy;

    protected AuthNode Cluster => cluster;

    protected PostgresInstance Node => cluster.Nodes[0];

    internal ProxyHost Proxy => _proxy ?? throw new InvalidOperationException("no proxy started");

    protected string PoolPasswdPath => Path.Combine(_folder, "pool_passwd");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>An AES pool_passwd line for <paramref name="user"/>, encrypted with <see cref="Key"/>.</summary>
    protected static string AesLine(string user, string password) =>
        PoolPasswdFile.FormatLine(user, AesPassword.Prefix + AesPassword.Encrypt(password, Key));

    /// <summary>
    /// Starts pgproxy with <paramref name="hba"/> as pool_hba.conf (null: enable_pool_hba off) and these
    /// pool_passwd lines.
    /// </summary>
    internal ProxyHost StartProxy(string? hba, IEnumerable<string> poolPasswd,
        Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var hbaPath = Path.Combine(_folder, "pool_hba.conf");
        var keyPath = Path.Combine(_folder, "pgproxykey");
        File.WriteAllText(hbaPath, hba ?? "");
        File.WriteAllText(PoolPasswdPath, string.Join('\n', poolPasswd) + "\n");
        File.WriteAllText(keyPath, Key + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _proxy = ProxyHost.Start(cluster, o =>
        {
            o = o with
            {
                EnablePoolHba = hba is not null,
                HbaFilePath = hbaPath,
                PoolPasswd = PoolPasswdPath,
                PoolKey = keyPath,
            };
            return configure is null ? o : configure(o);
        });
        return _proxy;
    }

    protected Task<NpgsqlConnection> OpenAsAsync(string user, string password, string database = "postgres") =>
        Proxy.OpenAsync(b =>
        {
            b.Username = user;
            b.Password = password;
            b.Database = database;
        });

    /// <summary>Logs in through pgproxy and returns current_user, proving who the backend thinks we are.</summary>
    protected async Task<string> CurrentUserAsync(string user, string password)
    {
        await using var conn = await OpenAsAsync(user, password);
        await using var cmd = new NpgsqlCommand("SELECT current_user", conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    protected async Task<PostgresException> LoginFailsAsync(string user, string password)
    {
        return await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var _ = await OpenAsAsync(user, password);
        });
    }
}
