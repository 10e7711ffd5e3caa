using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A CREATE INDEX CONCURRENTLY that fails after its first phase leaves an invalid index behind on the node that ran
/// it (issue 16 item 4). Every node must end with the same catalog: read on each node directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class FailedConcurrentIndexTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_failed_unique_index_build_leaves_the_same_invalid_index_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("cic", "a int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1), (1), (2)");
        var index = table + "_a";

        var result = await PgTools.PsqlAsync(Proxy.Port, "-qAt", "-c",
            $"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} (a)");

        // PostgreSQL's own error, once.
        Assert.Contains("could not create unique index", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("pgproxy", result.StdErr, StringComparison.Ordinal);
        foreach (var node in Nodes)
        {
            Assert.Equal("false", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(i.indisvalid::text, ',') FROM pg_index i WHERE i.indexrelid = '{index}'::regclass"));
        }

        // The invalid index is dropped alike everywhere, after which the table takes a valid one on every node.
        await ExecuteOnProxyAsync($"DROP INDEX {index}");
        await ExecuteOnProxyAsync($"DELETE FROM {table} WHERE a = 1");
        await ExecuteOnProxyAsync($"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} (a)");
        foreach (var node in Nodes)
        {
            Assert.Equal(1L, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM pg_index WHERE indrelid = '{table}'::regclass AND indisvalid"));
        }
    }

    [PostgresFact]
    public async Task A_failed_unique_index_build_in_the_extended_protocol_leaves_the_same_invalid_index_everywhere()
    {
        var table = await CreateReplicatedTableAsync("cicx", "a int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1), (1), (2)");
        var index = table + "_a";

        await using (var conn = await OpenAsync())
        {
            await using var cmd = new NpgsqlCommand($"CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} (a)", conn);
            var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal("23505", error.SqlState);

            // The session goes on as it would directly.
            await using var next = new NpgsqlCommand("SELECT 1", conn);
            Assert.Equal(1, await next.ExecuteScalarAsync());
        }

        foreach (var node in Nodes)
        {
            Assert.Equal("false", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(i.indisvalid::text, ',') FROM pg_index i WHERE i.indexrelid = '{index}'::regclass"));
        }
    }
}
