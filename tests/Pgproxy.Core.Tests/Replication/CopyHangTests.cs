using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// COPY FROM STDIN that used to hang the session (issue 16 items 7 and 8): a Query string that goes into copy-in
/// more than once (PostgreSQL's <c>copyselect</c>, pgpool's <c>copy_hang</c>), and an extended-protocol COPY whose
/// data follows Execute in the same write, before the client has seen CopyInResponse. Every read of the client
/// fails after <see cref="RawClient.Timeout"/>, so a hang fails the test.
/// </summary>
public sealed class CopyHangTests
{
    private const string CopyT = "COPY t FROM STDIN";
    private const string CopyU = "COPY u FROM STDIN";

    private static byte[] Data => [.. ClientFrames.CopyData("1\n2\n"), .. ClientFrames.CopyDone()];

    [Fact]
    public async Task Simple_TwoCopiesInOneQuery_EachGetsItsCopyIn_EveryNodeGetsBothAndCommits()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();
        const string both = CopyT + "; " + CopyU;

        Assert.Equal(["G"], await client.ExchangeUntilAsync(ClientFrames.Query(both), 'G'));
        Assert.Equal(["C COPY 2", "G"], await client.ExchangeUntilAsync(Data, 'G'));
        Assert.Equal(["C COPY 2", "Z I"], await client.ExchangeAsync(Data));

        for (var node = 0; node < 2; node++)
        {
            Assert.Equal(["Q BEGIN", "Q " + both, "d", "c", "d", "c", "Q COMMIT"], harness.SentTo(node));
            Assert.Equal(TransactionStatus.Idle, harness.Connection(node).Status);
        }

        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 1")).TakeLast(2));
    }

    [Fact]
    public async Task Simple_CopyBetweenSelects_AnswersEveryStatement_InMainsOrder()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();
        const string script = "SELECT 1; " + CopyT + "; SELECT 2";

        Assert.Equal(["T", "D", "C SELECT 1", "G"], await client.ExchangeUntilAsync(ClientFrames.Query(script), 'G'));
        Assert.Equal(["C COPY 2", "T", "D", "C SELECT 1", "Z I"], await client.ExchangeAsync(Data));

        Assert.Equal(["Q BEGIN", "Q " + script, "d", "c", "Q COMMIT"], harness.SentTo(1));
    }

    [Fact]
    public async Task Simple_ClientLeavesDuringSecondCopy_EveryNodeConnectionIsClosed()
    {
        await using var harness = new ReplicationHarness();
        var client = await harness.StartClientAsync();

        Assert.Equal(["G"], await client.ExchangeUntilAsync(ClientFrames.Query(CopyT + "; " + CopyU), 'G'));
        Assert.Equal(["C COPY 2", "G"], await client.ExchangeUntilAsync(Data, 'G'));
        await client.SendAsync(ClientFrames.CopyData("3\n"));
        await client.DisposeAsync();

        // A node left in copy-in inside pgproxy's open transaction would block VACUUM and shutdown for good.
        await harness.Connection(0).Closed.WaitAsync(RawClient.Timeout);
        await harness.Connection(1).Closed.WaitAsync(RawClient.Timeout);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
    }

    [Fact]
    public async Task Extended_CopyDataSentWithExecute_ReachesEveryNode_OneReadyForQuery()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        byte[] request =
        [
            .. ClientFrames.Parse("", CopyT), .. ClientFrames.Bind(), .. ClientFrames.Execute(), .. Data,
            .. ClientFrames.Sync(),
        ];
        Assert.Equal(["1", "2", "G", "C COPY 2", "Z I"], await client.ExchangeAsync(request));

        for (var node = 0; node < 2; node++)
        {
            var sent = harness.SentTo(node);
            Assert.Equal(["d", "c"], sent.Where(f => f is "d" or "c"));
            Assert.Contains("Q COMMIT", sent);
            Assert.Equal(TransactionStatus.Idle, harness.Connection(node).Status);
        }

        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 1")).TakeLast(2));
    }

    [Fact]
    public async Task Extended_CopyDataSentWithExecuteInTransaction_ReachesEveryNode()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        byte[] request =
        [
            .. ClientFrames.Parse("", CopyT), .. ClientFrames.Bind(), .. ClientFrames.Execute(), .. Data,
            .. ClientFrames.Sync(),
        ];
        Assert.Equal(["1", "2", "G", "C COPY 2", "Z T"], await client.ExchangeAsync(request));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        for (var node = 0; node < 2; node++)
        {
            Assert.Equal(["d", "c"], harness.SentTo(node).Where(f => f is "d" or "c"));
            Assert.Equal(TransactionStatus.Idle, harness.Connection(node).Status);
        }
    }
}
