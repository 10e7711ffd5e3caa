using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A prepared statement closed and parsed again under the same name in one group that runs on main alone (a read
/// inside a transaction that wrote), as Npgsql's auto-prepare does when it evicts a statement. The other node kept
/// the old statement: a later write under that name ran the old text there (other data), or failed with 08P01.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class StatementReplacementTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_statement_replaced_on_main_alone_is_closed_on_the_other_nodes_too()
    {
        var table = await CreateReplicatedTableAsync("stmtrep", "id int primary key, v text");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (0, 'a')");
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.StartupAsync();

        // s1 parsed on every node (a write), then replaced by a read inside a transaction that wrote (main only).
        await AnswerAsync(raw, [.. RawPgClient.Parse($"UPDATE {table} SET v = v || 'u' WHERE id = $1", "s1"),
            .. RawPgClient.BindText("s1", "0"), .. RawPgClient.Execute(), .. RawPgClient.Sync()]);
        await AnswerAsync(raw, RawPgClient.Query("BEGIN"));
        await AnswerAsync(raw, RawPgClient.Query($"UPDATE {table} SET v = v || 'x' WHERE id = 0"));
        await AnswerAsync(raw, [.. RawPgClient.Close('S', "s1"),
            .. RawPgClient.Parse($"SELECT v FROM {table} WHERE id = $1", "s1"),
            .. RawPgClient.BindText("s1", "0"), .. RawPgClient.Execute(), .. RawPgClient.Sync()]);
        await AnswerAsync(raw, RawPgClient.Query("COMMIT"));

        // s1 replaced again, by a write: every node must run this text.
        await AnswerAsync(raw, [.. RawPgClient.Close('S', "s1"),
            .. RawPgClient.Parse($"UPDATE {table} SET v = v || 'B' WHERE id = $1", "s1"),
            .. RawPgClient.BindText("s1", "0"), .. RawPgClient.Execute(), .. RawPgClient.Sync()]);
        await AnswerAsync(raw, [.. RawPgClient.BindText("s1", "0"), .. RawPgClient.Execute(), .. RawPgClient.Sync()]);

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal("auxBB", await NodeSql.ScalarAsync<string>(Nodes[1], $"SELECT v FROM {table} WHERE id = 0"));
    }

    private static async Task AnswerAsync(RawPgClient raw, byte[] request)
    {
        await raw.SendAsync(request);
        var answer = await raw.ReadUntilAsync('Z');
        Assert.DoesNotContain(answer, m => m.Type == 'E');
    }
}
