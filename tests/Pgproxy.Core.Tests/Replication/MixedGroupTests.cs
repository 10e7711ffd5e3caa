using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Extended-protocol groups (DESIGN §3.5): a group that executes a write runs whole on every node, main first, its
/// reads included; a group that only reads runs on one node. The simple protocol's multi-statement Query is the
/// same case.
/// </summary>
public sealed class MixedGroupTests
{
    private const string Select = "SELECT 1";
    private const string Insert = "INSERT INTO t VALUES (1)";

    /// <summary>Load balancing on, every read going to node 1.</summary>
    private static ProxyOptions ReadsOnNode1(ProxyOptions options) => options with
    {
        LoadBalanceMode = true,
        Backends = [options.Backends[0] with { Weight = 0 }, options.Backends[1]],
    };

    [Fact]
    public async Task Extended_ReadThenWrite_WholeGroupOnEveryNode_MainFirst()
    {
        await using var harness = new ReplicationHarness(configure: ReadsOnNode1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "1", "2", "n", "C INSERT 0 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Select, Insert)));

        string[] expected =
            ["Q BEGIN", "P :" + Select, "B :", "D P", "E ", "P :" + Insert, "B :", "D P", "E ", "S", "Q COMMIT"];
        Assert.Equal(expected, harness.SentTo(0));
        Assert.Equal(expected, harness.SentTo(1));
        Assert.True(harness.IndexOf(0, "S") < harness.IndexOf(1, "Q BEGIN"));
        Assert.True(harness.IndexOf(1, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
    }

    [Fact]
    public async Task Extended_ReadOnlyGroup_RunsOnTheLoadBalanceNodeAlone()
    {
        await using var harness = new ReplicationHarness(configure: ReadsOnNode1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "1", "2", "T", "D", "C SELECT 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Select, Select)));

        Assert.Empty(harness.SentTo(0));
        Assert.Equal(["P :" + Select, "B :", "D P", "E ", "P :" + Select, "B :", "D P", "E ", "S"], harness.SentTo(1));
    }

    [Fact]
    public async Task Extended_MixedGroup_ReadRowCountDiffersWithFailoverIfAffectedTuplesMismatch_DegeneratesTheOther()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(1).On(Select, NodeReply.Values("1", "1"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "1", "2", "n", "C INSERT 0 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Select, Insert)));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_MixedGroup_ReadFailsOnMain_SkipsTheRestOfTheGroup_OthersNeverSeeIt()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Select, NodeReply.Error("42P01"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "E 42P01", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Select, Insert)));

        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Empty(harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_MixedGroup_WriteFailsOnlyOnOtherWithStopOnMismatch_DegeneratesIt()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "1", "2", "n", "C INSERT 0 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Select, Insert)));

        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
    }

    [Fact]
    public async Task Simple_MultiStatementReadAndWrite_RunsOnEveryNode_MainFirst()
    {
        const string both = "SELECT 1; UPDATE t SET v = 1";
        await using var harness = new ReplicationHarness(configure: ReadsOnNode1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["T", "D", "C SELECT 1", "C UPDATE 1", "Z I"], await client.QueryAsync(both));

        Assert.Equal(["Q BEGIN", "Q " + both, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + both, "Q COMMIT"], harness.SentTo(1));
        Assert.True(harness.IndexOf(0, "Q " + both) < harness.IndexOf(1, "Q BEGIN"));
    }

    [Fact]
    public async Task Simple_MultiStatement_WriteRowCountDiffersWithFailoverIfAffectedTuplesMismatch_DegeneratesTheOther()
    {
        const string both = "SELECT 1; UPDATE t SET v = 1";
        await using var harness = new ReplicationHarness(configure: o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(1).On("UPDATE t SET v = 1", NodeReply.Command("UPDATE 3"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["T", "D", "C SELECT 1", "C UPDATE 1", "Z I"], await client.QueryAsync(both));

        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
    }
}
