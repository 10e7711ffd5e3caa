using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A node's connection goes away mid-statement or mid-COMMIT (DESIGN §5, <c>failover_on_backend_error</c> on): the node
/// is degenerated and the session carries on with the nodes left. A request nothing of which reached the client yet,
/// outside a transaction, runs again; a transaction that lost its main is lost (40001); a COMMIT the others carried
/// out stands when main goes away behind them.
/// </summary>
public sealed class NodeDisconnectTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";
    private const string Insert2 = "INSERT INTO t VALUES (2)";

    [Fact]
    public async Task Simple_Autocommit_MainDisconnectsBeforeAnswering_RunsAgainOnTheNextNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert, NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_Autocommit_MainDisconnectsMidResult_ClientGets40001()
    {
        const string returning = "UPDATE t SET v = 1 RETURNING v";
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(returning, NodeReply.Disconnect(rowsFirst: 1));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["T", "D", "E 40001", "Z I"], await client.QueryAsync(returning));

        Assert.Empty(harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync("UPDATE t SET v = 2")); // node 1 is main now
    }

    [Fact]
    public async Task Simple_InTransaction_MainDisconnects_TransactionIsLostEverywhere()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert2, NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Insert);
        Assert.Equal(["E 40001", "Z E"], await client.QueryAsync(Insert2));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        var sent = harness.SentTo(1);
        Assert.Equal([SentFrame.Script("BEGIN", Insert), "Q ROLLBACK", "Q BEGIN"], sent.Take(3));
        Assert.Equal("Q SELECT 'pgproxy failed the statement'::int", sent[3]);
        Assert.Equal("Q ROLLBACK", sent[^1]);
        Assert.DoesNotContain("Q " + Insert2, sent);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Extended_Autocommit_MainDisconnects_ClientGets40001_OthersNeverSeeTheGroup()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert, NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E 40001", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.Empty(harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));
    }

    [Fact]
    public async Task Simple_Autocommit_OtherDisconnectsMidStatement_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Insert], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_OtherDisconnectsMidStatement_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Disconnect(rowsFirst: 1));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_InTransaction_OtherDisconnectsMidStatement_IsFoundAtCommit_MainCommitsAlone()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1)); // held back: node 1 has not run it yet
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal([SentFrame.Script("BEGIN", Insert)], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_ExplicitCommit_OtherDisconnectsMidCommit_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Insert);
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
    }

    [Fact]
    public async Task Simple_ExplicitCommit_MainDisconnectsMidCommit_OthersCommitted_ClientIsToldCommit()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Insert);
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.True(harness.IndexOf(1, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert2)); // node 1 is main now
    }

    [Fact]
    public async Task Simple_Autocommit_MainDisconnectsMidInternalCommit_OthersCommitted_ClientGetsTheResult()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_Autocommit_OtherDisconnectsMidInternalCommit_DegeneratesIt()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_ExplicitCommit_OtherDisconnectsMidCommit_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN")); // on every node at once
        await client.ExchangeAsync(ClientFrames.Group(Insert));
        Assert.Equal(["1", "2", "n", "C COMMIT", "Z I"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));

        Assert.True(harness.IndexOf(1, "P :COMMIT") < harness.IndexOf(0, "P :COMMIT"));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
    }

    [Fact]
    public async Task Extended_ExplicitCommit_MainDisconnectsMidCommit_OthersCommitted_ClientIsToldCommit()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN")); // on every node at once
        await client.ExchangeAsync(ClientFrames.Group(Insert));
        var replies = await client.ExchangeAsync(ClientFrames.Group("COMMIT"));

        // The whole answer PostgreSQL gives the group, none of which main had sent.
        Assert.Equal(["1", "2", "n", "C COMMIT", "Z I"], replies);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Extended_Autocommit_MainDisconnectsMidInternalCommit_OthersCommitted_ClientGetsTheResult()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("COMMIT", NodeReply.Disconnect());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.Equal("Q COMMIT", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }
}
