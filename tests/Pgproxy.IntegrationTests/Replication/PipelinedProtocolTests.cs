using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Extended-protocol sequences a driver may pipeline (issue 16 items 6 and 9, pgpool's guard_against_bad_protocol):
/// each is sent to node 0 directly first and to the two-node pgproxy second, the answers must be the same message
/// for message (with ReadyForQuery's transaction status), and the rows are read on every node.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class PipelinedProtocolTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_pipelined_begin_savepoint_and_insert_in_one_group_answer_as_postgres_does()
    {
        var table = await CreateReplicatedTableAsync("pipebegin", "id int primary key");

        var answers = await DirectThenProxyAsync(id =>
            [
                RawPgClient.Parse("BEGIN"), RawPgClient.Bind(), RawPgClient.Execute(),
                RawPgClient.Parse("SAVEPOINT s1"), RawPgClient.Bind(), RawPgClient.Execute(),
                RawPgClient.Parse($"INSERT INTO {table} VALUES ({id})"), RawPgClient.Bind(), RawPgClient.Execute(),
                RawPgClient.Sync(),
            ],
            [RawPgClient.Query("COMMIT")]);

        Assert.Equal(["12C12C12CZT", "CZI", "12C12C12CZT", "CZI"], answers);
        Assert.Equal(["2", "2"], await IdsOnEveryNodeAsync(table, "id = 2"));
    }

    [PostgresFact]
    public async Task A_write_executed_without_sync_then_a_simple_query_runs_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("pipenosync", "id int primary key");

        var answers = await DirectThenProxyAsync(id =>
            [
                RawPgClient.Parse($"INSERT INTO {table} VALUES ({id})"), RawPgClient.Bind(), RawPgClient.Execute(),
                RawPgClient.Query("SELECT 1"),
            ],
            [RawPgClient.Sync()]);

        Assert.Equal(["12CTDCZI", "ZI", "12CTDCZI", "ZI"], answers);
        Assert.Equal(["2", "2"], await IdsOnEveryNodeAsync(table, "id = 2"));
    }

    /// <summary>
    /// The same with a Query that fails. The client sees what PostgreSQL sends, and the nodes stay identical; but
    /// where PostgreSQL rolls the INSERT back with the Query (one implicit transaction), pgproxy has committed it
    /// with its own Sync before the Query: a known difference, pinned here so that a change of it is seen.
    /// </summary>
    [PostgresFact]
    public async Task A_write_executed_without_sync_then_a_failing_simple_query_leaves_the_nodes_identical()
    {
        var table = await CreateReplicatedTableAsync("pipenosyncfail", "id int primary key");

        var answers = await DirectThenProxyAsync(id =>
            [
                RawPgClient.Parse($"INSERT INTO {table} VALUES ({id})"), RawPgClient.Bind(), RawPgClient.Execute(),
                RawPgClient.Query("SELECT 1/0"),
            ],
            [RawPgClient.Sync(), RawPgClient.Query("SELECT 42")], secondReadyCount: 2);

        Assert.Equal(["12CEZI", "ZTDCZI", "12CEZI", "ZTDCZI"], answers);
        Assert.Equal(["2", "2"], await IdsOnEveryNodeAsync(table, "true")); // PostgreSQL alone: none (see above)
    }

    /// <summary>
    /// Sends <paramref name="first"/> (given the id to insert: 1 on node 0 directly, 2 through pgproxy) and reads up
    /// to ReadyForQuery, then <paramref name="second"/> and reads <paramref name="secondReadyCount"/> of them; each
    /// answer as its message types followed by the last ReadyForQuery's status. Direct answers come first.
    /// </summary>
    private async Task<List<string>> DirectThenProxyAsync(Func<int, byte[][]> first, byte[][] second,
        int secondReadyCount = 1)
    {
        var answers = new List<string>();
        foreach (var (port, id) in new[] { (Nodes[0].Port, 1), (Proxy.Port, 2) })
        {
            await using var client = await RawPgClient.ConnectAsync(port);
            await client.StartupAsync();
            await client.SendAsync(first(id));
            var reply = await client.ReadUntilAsync('Z');
            answers.Add(RawPgClient.Types(reply) + (char)reply[^1].Body[0]);
            await client.SendAsync(second);
            var then = new List<(char Type, byte[] Body)>();
            for (var i = 0; i < secondReadyCount; i++)
            {
                then.AddRange(await client.ReadUntilAsync('Z'));
            }

            answers.Add(RawPgClient.Types(then) + (char)then[^1].Body[0]);
        }

        return answers;
    }

    /// <summary>Per node, read on the node itself: the ids of <paramref name="table"/> matching the condition.</summary>
    private async Task<List<string>> IdsOnEveryNodeAsync(string table, string where)
    {
        var ids = new List<string>();
        foreach (var node in Nodes)
        {
            ids.Add(await NodeSql.ScalarAsync<string>(node,
                $"SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM {table} WHERE {where} AND id <> 1"));
        }

        return ids;
    }
}
