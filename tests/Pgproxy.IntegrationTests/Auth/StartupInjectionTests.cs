using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using static Pgproxy.IntegrationTests.Support.AuthNode;

namespace Pgproxy.IntegrationTests.Auth;

/// <summary>
/// Issue 11 §1 against a real node that trusts <c>postgres</c> from the proxy host, as many do: a client verified
/// by SCRAM as <see cref="ScramUser"/> that hides another parameter inside its application_name stays
/// <see cref="ScramUser"/> in its own database, with no options and no walsender. pgproxy once split such a value
/// into pairs and logged the client in as a superuser.
/// </summary>
[Collection(AuthSuite.Name)]
public sealed class StartupInjectionTests(AuthNode cluster) : AuthTestBase(cluster)
{
    private const string ScramHba = "host all all 127.0.0.1/32 scram-sha-256\n";

    [PostgresFact]
    public async Task UserSmuggledInApplicationName_SessionStaysTheAuthenticatedUser()
    {
        await using var conn = await OpenSmugglingAsync("user=postgres");

        Assert.Equal($"{ScramUser} {ScramUser} false",
            await ScalarAsync(conn, "SELECT current_user || ' ' || session_user || ' ' || " +
                                    "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)::text"));
        await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(conn, "CREATE ROLE injected SUPERUSER"));
    }

    [PostgresFact]
    public async Task DatabaseSmuggledInApplicationName_SessionStaysInItsDatabase()
    {
        await using var conn = await OpenSmugglingAsync($"database={BenchDatabase}");

        Assert.Equal("postgres", await ScalarAsync(conn, "SELECT current_database()"));
    }

    [PostgresFact]
    public async Task OptionsSmuggledInApplicationName_AreNotApplied()
    {
        await using var conn = await OpenSmugglingAsync("options=-c search_path=injected");

        Assert.NotEqual("injected", await ScalarAsync(conn, "SELECT current_setting('search_path')"));
    }

    [PostgresFact]
    public async Task ReplicationSmuggledInApplicationName_IsAnOrdinaryBackend()
    {
        await using var conn = await OpenSmugglingAsync("replication=database");

        Assert.Equal("client backend",
            await ScalarAsync(conn, "SELECT backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid()"));
    }

    private async Task<NpgsqlConnection> OpenSmugglingAsync(string pair)
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);
        return await Proxy.OpenAsync(b =>
        {
            b.Username = ScramUser;
            b.Password = ScramPassword;
            b.Database = "postgres";
            b.ApplicationName = "x\u0001" + pair;
            b.Pooling = false;
        });
    }

    private static async Task<string> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (await cmd.ExecuteScalarAsync())?.ToString() ?? "";
    }
}
