using Pgproxy.TestUtilities;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

public sealed class SessionForwardingTests
{
    private static readonly string[] PoolNodesColumns =
    [
        "node_id", "hostname", "port", "status", "pg_status", "lb_weight", "role", "pg_role", "select_cnt",
        "load_balance_node", "replication_delay", "replication_state", "replication_sync_state",
        "last_status_change",
    ];

    [Fact]
    public async Task Query_IsForwardedAndAnsweredByteForByte()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var query = RawClient.Query("SELECT abalance FROM pgbench_accounts WHERE aid = 42;");

        await client.SendAsync(query);
        var reply = await client.ReadUntilReadyForQueryAsync();

        var backend = harness.Connector.Single;
        Assert.Equal(query, Assert.Single(backend.Received));
        Assert.Equal("TDCZ", string.Concat(reply.Select(m => m.Type)));
        Assert.Equal(backend.Sent, reply.SelectMany(m => m.Frame).ToArray());
    }

    [Fact]
    public async Task PipelinedExtendedBatch_ReachesTheBackendInOnePiece()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var batch = new List<byte>();
        for (var i = 0; i < 3; i++)
        {
            batch.AddRange(Frame('P', new WireBytes().CString("").CString($"SELECT {i}").Int16(0)));
            batch.AddRange(Frame('B', new WireBytes().CString("").CString("").Int16(0).Int16(0).Int16(0)));
            batch.AddRange(Frame('E', new WireBytes().CString("").Int32(0)));
            batch.AddRange(Frame('S', new WireBytes()));
        }

        await client.SendAsync(batch.ToArray());
        var replies = new List<BackendMessage>();
        for (var i = 0; i < 3; i++)
        {
            replies.AddRange(await client.ReadUntilReadyForQueryAsync());
        }

        var backend = harness.Connector.Single;
        Assert.Equal(12, backend.Received.Count);
        Assert.Equal(batch, backend.Received.SelectMany(f => f));
        Assert.Equal(12, backend.ReplyFlushes[0]); // every frame was there before the first reply
        Assert.Equal("12DCZ12DCZ12DCZ", string.Concat(replies.Select(m => m.Type)));
    }

    [Fact]
    public async Task QueryLargerThanOneMebibyte_IsStreamedIntact()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var query = RawClient.Query("SELECT '" + new string('x', 2 * 1024 * 1024 + 17) + "'");

        await client.SendAsync(query);
        var reply = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(query, Assert.Single(harness.Connector.Single.Received));
        Assert.Equal("TDCZ", string.Concat(reply.Select(m => m.Type)));
    }

    [Fact]
    public async Task FiveMegabyteDataRow_IsStreamedIntact()
    {
        const int size = 5 * 1024 * 1024;
        await using var harness = new ProxyHarness(new ScriptedBackendScript { LargeRowOn = "SELECT big", LargeRowBytes = size });
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync("SELECT big");
        var reply = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal("TDCZ", string.Concat(reply.Select(m => m.Type)));
        Assert.Equal(ScriptedBackend.LargeDataRow(size), reply[1].Frame);
    }

    [Fact]
    public async Task ErrorResponse_IsForwardedAndTheSessionGoesOn()
    {
        await using var harness = new ProxyHarness(new ScriptedBackendScript { ErrorOn = sql => sql == "SELECT fail" });
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync("SELECT fail");
        var failed = await client.ReadUntilReadyForQueryAsync();
        await client.SendQueryAsync("SELECT 1");
        var ok = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal("EZ", string.Concat(failed.Select(m => m.Type)));
        Assert.Equal("42P01", failed[0].SqlState);
        Assert.Equal("TDCZ", string.Concat(ok.Select(m => m.Type)));
    }

    [Fact]
    public async Task ShowPoolNodes_IsRewrittenIntoAValuesQueryInOrderWithPipelinedQueries()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendAsync(RawClient.Query("SELECT 1").Concat(RawClient.Query("SHOW POOL_NODES"))
            .Concat(RawClient.Query("SELECT 2")).ToArray());
        var first = await client.ReadUntilReadyForQueryAsync();
        var admin = await client.ReadUntilReadyForQueryAsync();
        var last = await client.ReadUntilReadyForQueryAsync();

        // PostgreSQL (here the scripted backend) runs the report as an ordinary statement, in its place.
        var queries = harness.Connector.Single.Queries;
        Assert.Equal(3, queries.Count);
        Assert.Equal("SELECT 1", queries[0]);
        Assert.StartsWith("SELECT * FROM (VALUES (E'0'::text, ", queries[1], StringComparison.Ordinal);
        Assert.EndsWith("AS poolnodes(" + string.Join(", ", PoolNodesColumns.Select(c => $"\"{c}\"")) + ")",
            queries[1], StringComparison.Ordinal);
        Assert.Equal("SELECT 2", queries[2]);
        Assert.Equal("TDCZ", string.Concat(first.Select(m => m.Type)));
        Assert.Equal("TDCZ", string.Concat(admin.Select(m => m.Type)));
        Assert.Equal("TDCZ", string.Concat(last.Select(m => m.Type)));
    }

    [Fact]
    public async Task NotificationResponse_IsForwardedUntouchedWithTheBackendsPid()
    {
        await using var harness = new ProxyHarness(new ScriptedBackendScript { NotifyOn = "NOTIFY scripted_channel" });
        var (client, startup) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var givenPid = startup.Single(m => m.Type == 'K').Int32At(0);

        await client.SendQueryAsync("NOTIFY scripted_channel");
        var reply = await client.ReadUntilReadyForQueryAsync();

        var notification = Assert.Single(reply, m => m.Type == 'A');
        Assert.Equal(harness.Connector.Single.ProcessId, notification.Int32At(0));
        Assert.Equal(givenPid, notification.Int32At(0));
        var sent = harness.Connector.Single.Sent;
        Assert.Equal(sent.AsSpan(0, notification.Frame.Length).ToArray(), notification.Frame);
    }

    private static byte[] Frame(char type, WireBytes body) =>
        new WireBytes().Byte(type).Int32(body.Length + 4).Bytes(body.ToArray()).ToArray();
}
