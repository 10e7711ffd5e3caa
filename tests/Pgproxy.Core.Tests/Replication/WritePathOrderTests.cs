using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// The healthy write path on scripted nodes (DESIGN §3): main first, the others once main has answered, the internal
/// transaction committed on the others first and on main last. The fault tests rely on this baseline.
/// </summary>
public sealed class WritePathOrderTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";

    [Fact]
    public async Task Simple_AutocommitWrite_MainFirst_CommitOthersFirst()
    {
        await using var harness = new ReplicationHarness(3);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        for (var node = 0; node < 3; node++)
        {
            Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(node));
            Assert.Equal(BackendStatus.Up, harness.StatusOf(node));
        }

        Assert.True(harness.IndexOf(0, "Q " + Insert) < harness.IndexOf(1, "Q BEGIN"));
        Assert.True(harness.IndexOf(0, "Q " + Insert) < harness.IndexOf(2, "Q BEGIN"));
        Assert.True(harness.IndexOf(1, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
        Assert.True(harness.IndexOf(2, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
    }

    [Fact]
    public async Task Extended_AutocommitWrite_WholeGroupMainFirst_CommitOthersFirst()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        string[] expected = ["Q BEGIN", "P :" + Insert, "B :", "D P", "E ", "S", "Q COMMIT"];
        Assert.Equal(expected, harness.SentTo(0));
        Assert.Equal(expected, harness.SentTo(1));
        Assert.True(harness.IndexOf(0, "S") < harness.IndexOf(1, "Q BEGIN"));
        Assert.True(harness.IndexOf(1, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
    }

    [Fact]
    public async Task Simple_ExplicitTransaction_BeginRidesAlong_CommitOthersFirst()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN"));
        Assert.Empty(harness.Sent); // a plain BEGIN is answered by pgproxy and sent with the next statement
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal([SentFrame.Script("BEGIN", Insert), "Q COMMIT"], harness.SentTo(1));
        Assert.True(harness.IndexOf(1, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    // Issue 13: run whole on main, the string's COMMIT released main's locks before the others ran the INSERT.
    [Fact]
    public async Task Simple_TransactionInOneString_MainCommitsOnlyAfterEveryNodeRanTheWrite()
    {
        await using var harness = new ReplicationHarness(3);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C BEGIN", "C INSERT 0 1", "C COMMIT", "Z I"],
            await client.QueryAsync("BEGIN; " + Insert + "; COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        var held = SentFrame.Script("BEGIN", Insert); // the others' BEGIN and INSERT in one Query (HeldScript)
        for (var node = 1; node < 3; node++)
        {
            Assert.Equal([held, "Q COMMIT"], harness.SentTo(node));
        }

        Assert.True(harness.IndexOf(1, held) < harness.IndexOf(0, "Q COMMIT"));
        Assert.True(harness.IndexOf(2, held) < harness.IndexOf(0, "Q COMMIT"));
    }

    [Fact]
    public async Task Simple_ImplicitBlockEndedByCommit_WarnsAsPostgresAndCommitsInOrder()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "N 25P01", "C COMMIT", "Z I"], await client.QueryAsync(Insert + "; COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal([SentFrame.Script("BEGIN", Insert), "Q COMMIT"], harness.SentTo(1));
        Assert.True(harness.IndexOf(1, SentFrame.Script("BEGIN", Insert)) < harness.IndexOf(0, "Q COMMIT"));
    }

    [Fact]
    public async Task Extended_TransactionInOneGroup_CutAtCommit_MainCommitsLast()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C BEGIN", "1", "2", "n", "C INSERT 0 1", "1", "2", "n", "C COMMIT", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group("BEGIN", Insert, "COMMIT")));

        Assert.True(harness.IndexOf(1, "E ") > 0);
        Assert.True(harness.IndexOf(0, "P :COMMIT") > harness.IndexOf(1, "P :COMMIT"));
        Assert.True(harness.IndexOf(0, "P :" + Insert) < harness.IndexOf(1, "P :" + Insert));
    }

    // A lost-writes bug: the COMMIT group chose its targets by node status before the others' held-back writes
    // were settled, so it went to main alone and the others never committed.
    [Fact]
    public async Task Extended_CommitAfterSimpleBegin_ReachesEveryNode()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z T"], await client.ExchangeAsync(ClientFrames.Group(Insert)));
        Assert.Equal(["1", "2", "n", "C COMMIT", "Z I"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));

        Assert.Equal(["Q BEGIN", "P :" + Insert, "B :", "D P", "E ", "S", "P :COMMIT", "B :", "D P", "E ", "S"],
            harness.SentTo(1));
        Assert.True(harness.IndexOf(1, "P :COMMIT") < harness.IndexOf(0, "P :COMMIT"));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Simple_Read_RunsOnMainAlone()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["T", "D", "C SELECT 1", "Z I"], await client.QueryAsync("SELECT 1"));

        Assert.Equal(["Q SELECT 1"], harness.SentTo(0));
        Assert.Empty(harness.SentTo(1));
    }
}
