using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// COPY FROM STDIN that used to hang a two-node pgproxy (issue 16 items 7 and 8): a Query string that goes into
/// copy-in twice (PostgreSQL's <c>copyselect</c> regression test, pgpool's <c>copy_hang</c>), and an
/// extended-protocol COPY whose CopyData, CopyDone and Sync travel in the same write as its Execute. Each answer
/// sequence is pinned against PostgreSQL first; every node's rows are read on the node itself. A hang fails with
/// the raw client's read timeout, and each test as a whole is bounded by <see cref="Limit"/>.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class CopyHangTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [PostgresFact]
    public Task Two_copies_in_one_query_reach_every_node() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hanga", "id int primary key, v text");
        var b = await CreateReplicatedTableAsync("hangb", "id int primary key, v text");
        var query = $"COPY {a} FROM STDIN; COPY {b} FROM STDIN";

        foreach (var port in new[] { Node.Port, Proxy.Port })
        {
            // On node 0 directly first: PostgreSQL's own answer, then the proxy's must be the very same.
            await using var client = await ConnectAsync(port);
            await client.SendAsync(RawPgClient.Query(query));
            Assert.Equal("G", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
            await client.SendAsync(Rows(port == Node.Port ? 100 : 1), RawPgClient.CopyDone());
            Assert.Equal("CG", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
            await client.SendAsync(Rows(port == Node.Port ? 100 : 1), RawPgClient.CopyDone());
            var end = await client.ReadUntilAsync('Z');
            Assert.Equal("CZ", RawPgClient.Types(end));
            Assert.Equal('I', (char)end[^1].Body[0]);
            await AssertSessionUsableAsync(client);
            if (port == Node.Port)
            {
                await NodeSql.ExecuteAsync(Node, $"DELETE FROM {a}; DELETE FROM {b}");
            }
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(a, "id"));
        Assert.Equal(2, await AssertNodesIdenticalAsync(b, "id"));
        await AssertNoBackendLeftInCopyAsync(a);
    });

    [PostgresFact]
    public Task Copy_between_two_selects_answers_every_statement() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hangs", "id int primary key, v text");
        await using var client = await ConnectAsync(Proxy.Port);

        await client.SendAsync(RawPgClient.Query($"SELECT 1; COPY {a} FROM STDIN; SELECT 2"));
        Assert.Equal("TDCG", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
        await client.SendAsync(Rows(1), RawPgClient.CopyDone());
        Assert.Equal("CTDCZ", RawPgClient.Types(await client.ReadUntilAsync('Z')));

        await AssertSessionUsableAsync(client);
        Assert.Equal(2, await AssertNodesIdenticalAsync(a, "id"));
    });

    [PostgresFact]
    public Task Two_copies_inside_begin_commit_in_one_query_reach_every_node() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hangt", "id int primary key, v text");
        var b = await CreateReplicatedTableAsync("hangtb", "id int primary key, v text");
        var query = $"BEGIN; COPY {a} FROM STDIN; COPY {b} FROM STDIN; COMMIT";

        foreach (var port in new[] { Node.Port, Proxy.Port })
        {
            await using var client = await ConnectAsync(port);
            await client.SendAsync(RawPgClient.Query(query));
            Assert.Equal("CG", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
            await client.SendAsync(Rows(port == Node.Port ? 100 : 1), RawPgClient.CopyDone());
            Assert.Equal("CG", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
            await client.SendAsync(Rows(port == Node.Port ? 100 : 1), RawPgClient.CopyDone());
            var end = await client.ReadUntilAsync('Z');
            Assert.Equal("CCZ", RawPgClient.Types(end));
            Assert.Equal('I', (char)end[^1].Body[0]);
            await AssertSessionUsableAsync(client);
            if (port == Node.Port)
            {
                await NodeSql.ExecuteAsync(Node, $"DELETE FROM {a}; DELETE FROM {b}");
            }
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(a, "id"));
        Assert.Equal(2, await AssertNodesIdenticalAsync(b, "id"));
        await AssertNoBackendLeftInCopyAsync(a);
    });

    [PostgresFact]
    public Task Psql_sending_two_copies_in_one_command_reaches_every_node() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hangp", "id int primary key, v text");
        var b = await CreateReplicatedTableAsync("hangpb", "id int primary key, v text");

        var result = await PgTools.PsqlWithInputAsync(Proxy.Port, "1\tone\n2\ttwo\n\\.\n3\tthree\n\\.\n",
            "-v", "ON_ERROR_STOP=1", "-c", $"copy {a} from stdin; copy {b} from stdin");

        result.EnsureSuccess();
        Assert.Equal(2, await AssertNodesIdenticalAsync(a, "id"));
        Assert.Equal(1, await AssertNodesIdenticalAsync(b, "id"));
        await AssertNoBackendLeftInCopyAsync(a);
    });

    [PostgresFact]
    public Task Client_leaving_during_the_second_copy_leaves_no_backend_in_copy() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hangl", "id int primary key, v text");
        var b = await CreateReplicatedTableAsync("hanglb", "id int primary key, v text");
        var client = await ConnectAsync(Proxy.Port);

        await client.SendAsync(RawPgClient.Query($"COPY {a} FROM STDIN; COPY {b} FROM STDIN"));
        Assert.Equal("G", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
        await client.SendAsync(Rows(1), RawPgClient.CopyDone());
        Assert.Equal("CG", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
        await client.SendAsync(RawPgClient.CopyData("1\thalf a ro"));
        await client.DisposeAsync();

        await AssertNoBackendLeftInCopyAsync(a);
        Assert.Equal(0, await AssertNodesIdenticalAsync(a, "id"));
        Assert.Equal(0, await AssertNodesIdenticalAsync(b, "id"));
    });

    [PostgresFact]
    public Task Extended_copy_with_its_data_in_the_execute_write_reaches_every_node() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hangx", "id int primary key, v text");
        foreach (var port in new[] { Node.Port, Proxy.Port })
        {
            await using var client = await ConnectAsync(port);
            await client.SendAsync(RawPgClient.Parse($"COPY {a} FROM STDIN"), RawPgClient.Bind(),
                RawPgClient.Execute(), Rows(port == Node.Port ? 100 : 1), RawPgClient.CopyDone(), RawPgClient.Sync());
            var answers = await client.ReadUntilAsync('Z');
            Assert.Equal("12GCZ", RawPgClient.Types(answers));
            Assert.Equal('I', (char)answers[^1].Body[0]);
            await AssertSessionUsableAsync(client);
            if (port == Node.Port)
            {
                await NodeSql.ExecuteAsync(Node, $"DELETE FROM {a}");
            }
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(a, "id"));

        // Inside the client's transaction, and with a Describe: the rows reach every node at COMMIT.
        await using (var client = await ConnectAsync(Proxy.Port))
        {
            await client.SendAsync(RawPgClient.Query("BEGIN"));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(RawPgClient.Parse($"COPY {a} FROM STDIN"), RawPgClient.Bind(),
                RawPgClient.Describe(), RawPgClient.Execute(), Rows(10), RawPgClient.CopyDone(), RawPgClient.Sync());
            var answers = await client.ReadUntilAsync('Z');
            Assert.Equal("12nGCZ", RawPgClient.Types(answers));
            Assert.Equal('T', (char)answers[^1].Body[0]);
            await client.SendAsync(RawPgClient.Query("COMMIT"));
            await client.ReadUntilReadyAsync();
            await AssertSessionUsableAsync(client);
        }

        Assert.Equal(4, await AssertNodesIdenticalAsync(a, "id"));
        await AssertNoBackendLeftInCopyAsync(a);
    });

    /// <summary>
    /// A CopyFail whose reason reaches pgproxy in a later read than its header (Npgsql's cancelled binary import: a
    /// CopyData that fills pgproxy's 8 KiB receive buffer, the CopyFail right behind it) ends the copy as PostgreSQL
    /// does: 57014 and ReadyForQuery, nothing committed on any node. The relay used to notice a CopyFail's end only
    /// when it was read whole and waited for more data (Npgsql's CopyTests.Import_direct_buffer hung through two
    /// nodes, issue 17).
    /// </summary>
    [PostgresFact]
    public Task Copy_fail_split_over_two_reads_ends_the_copy() => WithinLimitAsync(async () =>
    {
        var a = await CreateReplicatedTableAsync("hangf", "id int primary key, v text");
        var copyFail = RawPgClient.CopyFail("cancelled by the client");
        foreach (var port in new[] { Node.Port, Proxy.Port })
        {
            await using var client = await ConnectAsync(port);
            await client.SendAsync(RawPgClient.Query($"COPY {a} FROM STDIN"));
            Assert.Equal("G", RawPgClient.Types(await client.ReadUntilAsync('G', 'Z')));
            await client.SendAsync([.. Rows(1), .. copyFail[..5]]);
            await Task.Delay(200); // pgproxy reads the header alone first
            await client.SendAsync(copyFail[5..]);
            var answer = await client.ReadUntilAsync('Z');
            Assert.Equal("EZ", RawPgClient.Types(answer));
            Assert.Equal("57014", RawPgClient.ErrorField(answer[0].Body, 'C'));
            Assert.Equal('I', (char)answer[^1].Body[0]);
            await AssertSessionUsableAsync(client);
        }

        Assert.Equal(0, await AssertNodesIdenticalAsync(a, "id"));
        await AssertNoBackendLeftInCopyAsync(a);
    });

    private static async Task WithinLimitAsync(Func<Task> test) => await test().WaitAsync(Limit);

    private static async Task<RawPgClient> ConnectAsync(int port)
    {
        var client = await RawPgClient.ConnectAsync(port);
        await client.StartupAsync();
        return client;
    }

    /// <summary>Two rows, the second split over two CopyData messages, as a streaming client sends them.</summary>
    private static byte[] Rows(int firstId) =>
    [
        .. RawPgClient.CopyData($"{firstId}\tfirst\n"), .. RawPgClient.CopyData($"{firstId + 1}\tsec"),
        .. RawPgClient.CopyData("ond\n"),
    ];

    /// <summary>The session answers a plain query afterwards (a hang fails with the client's read timeout).</summary>
    private static async Task AssertSessionUsableAsync(RawPgClient client)
    {
        await client.SendAsync(RawPgClient.Query("SELECT 42"));
        Assert.Equal("TDCZ", RawPgClient.Types(await client.ReadUntilReadyAsync()));
    }

    /// <summary>
    /// Waits until no backend on any node is still in a COPY that names <paramref name="table"/> or idle inside a
    /// transaction: such a backend blocks CREATE INDEX CONCURRENTLY, VACUUM and shutdown for good.
    /// </summary>
    private Task AssertNoBackendLeftInCopyAsync(string table) =>
        NodeSql.AssertEventuallyNoneAsync(Nodes,
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' "
            + $"AND (state LIKE 'idle in transaction%' OR (state <> 'idle' AND query LIKE '%{table}%'))",
            "backend(s) still in COPY or idle in transaction");
}
