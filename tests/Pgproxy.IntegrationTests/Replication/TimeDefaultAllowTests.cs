using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// With <c>nondeterministic_write = allow</c> a volatile default left to the nodes is the user's choice, but
/// the time-based defaults of the same INSERT are still made the same.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TimeDefaultAllowTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) => options with { NondeterministicWrite = "allow" };

    [PostgresFact]
    public async Task A_volatile_default_is_allowed_and_time_defaults_beside_it_stay_the_same()
    {
        var table = NodeSql.UniqueTable("tdefallow");
        foreach (var node in Nodes)
        {
            await NodeSql.ExecuteAsync(node,
                $"CREATE TABLE {table} (id int primary key, r float8 default random(), created timestamptz default now())");
        }

        await using var conn = await OpenAsync();
        await using (var simple = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES (1), (2)", conn))
        {
            Assert.Equal(2, await simple.ExecuteNonQueryAsync());
        }

        var result = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c",
            $"INSERT INTO {table} (id) VALUES (3)");
        result.EnsureSuccess();

        var created = new List<string>();
        foreach (var node in Nodes)
        {
            created.Add(await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(id || ' ' || created::text, ',' ORDER BY id) FROM {table}"));
        }

        Assert.Equal(created[0], created[1]);
        Assert.Equal(3, created[0].Split(',').Length);
    }
}
