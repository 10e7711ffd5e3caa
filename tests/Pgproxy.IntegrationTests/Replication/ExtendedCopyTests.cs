using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// COPY FROM STDIN sent through the extended protocol (Parse/Bind/[Describe]/Execute/Sync, then CopyData… and
/// CopyDone or CopyFail, then Sync), as tokio-postgres and hand-written drivers do. PostgreSQL ignores the Sync
/// that arrives during copy-in, so the only ReadyForQuery answers the Sync after CopyDone. Every answer sequence
/// is first pinned against PostgreSQL directly; the proxy must give the very same one, and every node's rows
/// are read on the node itself.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class ExtendedCopyTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Postgres_answers_an_extended_copy_with_one_ready_for_query_after_the_last_sync()
    {
        var table = await CreateTableOnNodeAsync("xcopyd", "id int primary key, v text");
        await using var client = await RawPgClient.ConnectAsync(Node.Port);
        await client.StartupAsync();

        Assert.Equal("12G", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: false));
        Assert.Equal("CZ", await FinishCopyAsync(client, RawPgClient.CopyDone(), 'I'));
        Assert.Equal("12nG", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: true, 10));
        Assert.Equal("EZ", await FinishCopyAsync(client, RawPgClient.CopyFail("client gave up"), 'I'));
        await AssertSessionUsableAsync(client);
        Assert.Equal(2, await NodeSql.CountAsync(Node, table));
    }

    [PostgresFact]
    public async Task Extended_copy_outside_a_transaction_reaches_every_node()
    {
        var table = await CreateReplicatedTableAsync("xcopy", "id int primary key, v text");
        await using var client = await ConnectToProxyAsync();

        Assert.Equal("12G", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: false));
        Assert.Equal("CZ", await FinishCopyAsync(client, RawPgClient.CopyDone(), 'I'));
        Assert.Equal("12nG", await StartCopyAsync(client, $"COPY {table} FROM STDIN", describe: true, 10));
        Assert.Equal("CZ", await FinishCopyAsync(client, RawPgClient.CopyDone(), 'I'));

        await AssertSessionUsableAsync(client);
        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task Extended_copy_inside_a_transaction_reaches_every_node_at_commit()
    {
        var table = await CreateReplicatedTableAsync("xcopyt", "id int primary key, v text");
        await using var client = await ConnectToProxyAsync();

        await client.SendAsync(RawPgClient.Query("BEGIN"));
        await client.ReadUntilReadyAsync();
        Assert.Equal("12G", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: false));
        Assert.Equal("CZ", await FinishCopyAsync(client, RawPgClient.CopyDone(), 'T'));
        Assert.Equal(0, await NodeSql.CountAsync(Nodes[1], table));
        await client.SendAsync(RawPgClient.Query($"INSERT INTO {table} VALUES (3, 'after the copy')"));
        await client.ReadUntilReadyAsync();
        await client.SendAsync(RawPgClient.Query("COMMIT"));
        await client.ReadUntilReadyAsync();

        await AssertSessionUsableAsync(client);
        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task Extended_copy_fail_leaves_no_row_on_any_node()
    {
        var table = await CreateReplicatedTableAsync("xcopyf", "id int primary key, v text");
        await using var client = await ConnectToProxyAsync();

        Assert.Equal("12nG", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: true));
        Assert.Equal("EZ", await FinishCopyAsync(client, RawPgClient.CopyFail("client gave up"), 'I'));
        await AssertSessionUsableAsync(client);

        await client.SendAsync(RawPgClient.Query("BEGIN"));
        await client.ReadUntilReadyAsync();
        Assert.Equal("12G", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: false));
        Assert.Equal("EZ", await FinishCopyAsync(client, RawPgClient.CopyFail("client gave up"), 'E'));
        await client.SendAsync(RawPgClient.Query("ROLLBACK"));
        await client.ReadUntilReadyAsync();

        await AssertSessionUsableAsync(client);
        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(0, await NodeSql.CountAsync(Nodes[0], table));
    }

    [PostgresFact]
    public async Task Extended_copy_leaving_out_a_time_default_gives_the_others_mains_value()
    {
        var table = await CreateReplicatedTableAsync("xcopyn", "id int primary key, v text, "
                                                               + "created timestamptz default now()");
        await using var client = await ConnectToProxyAsync();

        Assert.Equal("12G", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: false));
        await Task.Delay(20); // the nodes' clocks move on: a value each node took itself would differ
        Assert.Equal("CZ", await FinishCopyAsync(client, RawPgClient.CopyDone(), 'I'));
        await client.SendAsync(RawPgClient.Query("BEGIN"));
        await client.ReadUntilReadyAsync();
        Assert.Equal("12nG", await StartCopyAsync(client, $"COPY {table} (id, v) FROM STDIN", describe: true, 10));
        Assert.Equal("CZ", await FinishCopyAsync(client, RawPgClient.CopyDone(), 'T'));
        await client.SendAsync(RawPgClient.Query("COMMIT"));
        await client.ReadUntilReadyAsync();

        await AssertSessionUsableAsync(client);
        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(0, await NodeSql.ScalarAsync<long>(Nodes[1],
            $"SELECT count(*) FROM {table} WHERE created IS NULL"));
    }

    private async Task<RawPgClient> ConnectToProxyAsync()
    {
        var client = await RawPgClient.ConnectAsync(Proxy.Port);
        await client.StartupAsync();
        return client;
    }

    /// <summary>
    /// Sends Parse/Bind/[Describe]/Execute/Sync for the COPY and two rows right behind it, as a driver that
    /// pipelines does; returns the answer types up to CopyInResponse (or the error's ReadyForQuery).
    /// </summary>
    private static async Task<string> StartCopyAsync(RawPgClient client, string sql, bool describe, int firstId = 1)
    {
        byte[][] start = describe
            ? [RawPgClient.Parse(sql), RawPgClient.Bind(), RawPgClient.Describe(), RawPgClient.Execute(),
                RawPgClient.Sync()]
            : [RawPgClient.Parse(sql), RawPgClient.Bind(), RawPgClient.Execute(), RawPgClient.Sync()];
        await client.SendAsync(start);
        var answers = RawPgClient.Types(await client.ReadUntilAsync('G', 'Z'));
        if (answers.EndsWith('G'))
        {
            await client.SendAsync(RawPgClient.CopyData($"{firstId}\tfirst\n"),
                RawPgClient.CopyData($"{firstId + 1}\tsec"), RawPgClient.CopyData("ond\n"));
        }

        return answers;
    }

    /// <summary>Ends the copy with <paramref name="end"/> and a Sync; returns the answer types, checks the status
    /// of the ReadyForQuery.</summary>
    private static async Task<string> FinishCopyAsync(RawPgClient client, byte[] end, char status)
    {
        await client.SendAsync(end, RawPgClient.Sync());
        var answers = await client.ReadUntilAsync('Z');
        Assert.Equal(status, (char)answers[^1].Body[0]);
        return RawPgClient.Types(answers);
    }

    /// <summary>The session answers a plain query afterwards (a hang fails with the client's read timeout).</summary>
    private static async Task AssertSessionUsableAsync(RawPgClient client)
    {
        await client.SendAsync(RawPgClient.Query("SELECT 42"));
        Assert.Equal("TDCZ", RawPgClient.Types(await client.ReadUntilReadyAsync()));
    }
}
