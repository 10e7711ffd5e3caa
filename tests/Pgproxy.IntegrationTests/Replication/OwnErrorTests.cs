using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Errors pgproxy produces are its own ErrorResponses (issue 12, item 4): they need nothing from the nodes' database —
/// here one where plpgsql was dropped — and carry no PL/pgSQL CONTEXT.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class OwnErrorTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Without_plpgsql_a_nondeterministic_insert_is_refused_with_pgproxys_error_and_the_session_goes_on()
    {
        var database = await CreateDatabaseWithoutPlpgsqlAsync();
        try
        {
            await using (var proxy = ProxyHost.Start(Cluster))
            await using (var conn = await proxy.OpenAsync(b => { b.Database = database; b.Pooling = false; }))
            {
                var refused = await Assert.ThrowsAsync<PostgresException>(
                    () => ExecuteAsync(conn, "INSERT INTO r VALUES (random())"));
                AssertRefusal(refused);

                await ExecuteAsync(conn, "INSERT INTO r VALUES (1)"); // the session is usable

                await using (var tx = await conn.BeginTransactionAsync())
                {
                    await ExecuteAsync(conn, "INSERT INTO r VALUES (2)");
                    AssertRefusal(await Assert.ThrowsAsync<PostgresException>(
                        () => ExecuteAsync(conn, "INSERT INTO r VALUES (random())")));
                    var aborted = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(conn, "SELECT 1"));
                    Assert.Equal("25P02", aborted.SqlState); // the transaction failed, as after any error
                    await tx.RollbackAsync();
                }

                await ExecuteAsync(conn, "INSERT INTO r VALUES (3)");

                // Simple protocol, through psql: the same error, no CONTEXT line.
                var psql = await PgTools.PsqlAsync(proxy.Port, "-d", database, "-c", "INSERT INTO r VALUES (random())");
                Assert.NotEqual(0, psql.ExitCode);
                Assert.Contains("pgproxy refuses a write calling random()", psql.StdErr, StringComparison.Ordinal);
                Assert.DoesNotContain("CONTEXT", psql.StdErr, StringComparison.Ordinal);
                Assert.DoesNotContain("plpgsql", psql.StdErr, StringComparison.OrdinalIgnoreCase);
            }

            foreach (var node in Nodes)
            {
                Assert.Equal(2L, await ScalarAsync(node, database, "SELECT count(*) FROM r"));
            }
        }
        finally
        {
            foreach (var node in Nodes)
            {
                await NodeSql.ExecuteAsync(node, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            }
        }
    }

    private static void AssertRefusal(PostgresException error)
    {
        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("pgproxy refuses a write calling random()", error.MessageText, StringComparison.Ordinal);
        Assert.Null(error.Where); // no "PL/pgSQL function inline_code_block line 1 at RAISE"
    }

    private async Task<string> CreateDatabaseWithoutPlpgsqlAsync()
    {
        var database = "noplpgsql_" + Guid.NewGuid().ToString("N")[..10];
        foreach (var node in Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE DATABASE {database}");
            await using var conn = new NpgsqlConnection(node.ConnectionStringFor(database) + ";Pooling=false");
            await conn.OpenAsync();
            await ExecuteAsync(conn, "DROP EXTENSION plpgsql");
            await ExecuteAsync(conn, "CREATE TABLE r (v float8)");
        }

        return database;
    }

    private static async Task<long> ScalarAsync(PostgresInstance node, string database, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionStringFor(database) + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
