using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// The extended protocol's side of <see cref="RejectedBeforeRefusalTests"/>: a nondeterministic write that
/// PostgreSQL rejects as it parses it gets PostgreSQL's error through Parse/Bind/Execute too, not pgproxy's
/// refusal, with the client's parameter types (so a parameter is not an error of pgproxy's making); one PostgreSQL
/// accepts is still refused. Each node is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RejectedBeforeRefusalExtendedTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task PostgreSQLs_own_parse_error_reaches_an_extended_protocol_client()
    {
        var table = await CreateReplicatedTableAsync("rbre", "a int");
        await using var conn = await OpenAsync();
        await ExecAsync(conn, $"INSERT INTO {table} VALUES (1), (2)");

        Assert.Equal("42P20", await SqlStateAsync(conn, $"DELETE FROM {table} WHERE (rank() OVER (ORDER BY random())) > 10"));
        Assert.Equal("42809", await SqlStateAsync(conn, "CALL random()"));
        // Accepted by PostgreSQL, so refused: with the client's parameter type, not 42P18 for an untyped $1.
        Assert.Equal("0A000", await SqlStateAsync(conn, $"UPDATE {table} SET a = random() WHERE $1 IS NOT NULL", 1));

        // In a transaction block the rejected statement aborts it, as directly, on every node.
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await ExecAsync(conn, $"INSERT INTO {table} VALUES (3)");
            Assert.Equal("42P20", await SqlStateAsync(conn, $"DELETE FROM {table} WHERE (rank() OVER (ORDER BY random())) > 10"));
            Assert.Equal("25P02", await SqlStateAsync(conn, "SELECT 1"));
            await tx.RollbackAsync();
        }

        await ExecAsync(conn, $"INSERT INTO {table} VALUES (4)");
        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "a"));
        foreach (var node in Nodes)
        {
            Assert.Equal("1,2,4", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(a::text, ',' ORDER BY a) FROM {table}"));
        }
    }

    /// <summary>
    /// A Flush-ended group whose named statement main rejects: PostgreSQL's error, then everything up to the Sync
    /// skipped, and the name never defined — message for message as node 0 answers directly.
    /// </summary>
    [PostgresFact]
    public async Task A_rejected_parse_in_a_flush_ended_group_answers_as_postgres_does()
    {
        var table = await CreateReplicatedTableAsync("rbrf", "a int");
        var answers = new List<string>();
        foreach (var port in new[] { Nodes[0].Port, Proxy.Port })
        {
            await using var client = await RawPgClient.ConnectAsync(port);
            await client.StartupAsync();
            await client.SendAsync([
                RawPgClient.Parse($"DELETE FROM {table} WHERE (rank() OVER (ORDER BY random())) > 10", "s1"),
                RawPgClient.Bind("s1"), RawPgClient.Execute(), RawPgClient.Flush(),
                RawPgClient.Parse("SELECT 1"), RawPgClient.Bind(), RawPgClient.Execute(), RawPgClient.Sync(),
            ]);
            var reply = await client.ReadUntilAsync('Z');
            answers.Add(RawPgClient.Types(reply) + (char)reply[^1].Body[0] + " "
                        + RawPgClient.ErrorField(reply[0].Body, 'C'));
            await client.SendAsync([RawPgClient.Parse("SELECT 2", "s1"), RawPgClient.Bind("s1"), RawPgClient.Execute(),
                RawPgClient.Sync()]);
            reply = await client.ReadUntilAsync('Z');
            answers.Add(RawPgClient.Types(reply) + (char)reply[^1].Body[0]);
        }

        Assert.Equal(["EZI 42P20", "12DCZI", "EZI 42P20", "12DCZI"], answers);
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<string> SqlStateAsync(NpgsqlConnection conn, string sql, int? parameter = null)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        if (parameter is { } value)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        return error.SqlState;
    }
}
