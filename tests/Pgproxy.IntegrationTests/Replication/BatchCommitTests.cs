using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A whole transaction in one pipeline, as an Npgsql batch sends it: BEGIN, the writes and COMMIT, one Sync. Its
/// COMMIT must commit in two phases like a COMMIT sent alone: run on the others first, it committed there, and a
/// COMMIT that then failed on main (a cancel, a serialization failure, here a deferred constraint of main's own)
/// left the transaction on the others only. Every check reads the nodes directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class BatchCommitTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("batch")]
    [InlineData("one command")]
    public async Task A_batch_whose_commit_fails_on_main_commits_nowhere(string form)
    {
        var table = await CreateReplicatedTableAsync("batch_commit", "id int primary key");
        await NodeSql.ExecuteAsync(Nodes[0], $"""
            CREATE FUNCTION {table}_refuse() RETURNS trigger LANGUAGE plpgsql AS
              $$BEGIN RAISE EXCEPTION 'main refuses %', NEW.id USING ERRCODE = '23514'; END$$;
            CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED
              FOR EACH ROW EXECUTE FUNCTION {table}_refuse();
            """);

        await using var conn = await OpenAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            if (form == "batch")
            {
                await using var batch = new NpgsqlBatch(conn)
                {
                    BatchCommands = { new("BEGIN"), new($"INSERT INTO {table} VALUES (1)"), new("COMMIT") },
                };
                await batch.ExecuteNonQueryAsync();
            }
            else
            {
                await using var command = new NpgsqlCommand($"BEGIN; INSERT INTO {table} VALUES (1); COMMIT", conn);
                await command.ExecuteNonQueryAsync();
            }
        });

        Assert.Equal("23514", error.SqlState);
        Assert.Contains("main refuses 1", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        await AssertNothingPreparedAsync();

        // The session carries on, outside any transaction, on both nodes.
        await using var next = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", conn);
        await NodeSql.ExecuteAsync(Nodes[0], $"DROP TRIGGER refuse ON {table}");
        await next.ExecuteNonQueryAsync();
        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_batch_that_commits_reaches_every_node_in_two_phases()
    {
        var table = await CreateReplicatedTableAsync("batch_commit_ok", "id int primary key, v text");
        var before = Proxy.Runtime.TwoPhase.TwoPhaseCommits;
        await using var conn = await OpenAsync();
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                new("BEGIN"), new($"INSERT INTO {table} VALUES (1, 'a')"), new($"UPDATE {table} SET v = 'b'"),
                new("COMMIT"),
            },
        };
        await batch.ExecuteNonQueryAsync();

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal("b", await NodeSql.ScalarAsync<string>(Nodes[1], $"SELECT v FROM {table}"));
        Assert.Equal(before + 1, Proxy.Runtime.TwoPhase.TwoPhaseCommits);
    }
}
