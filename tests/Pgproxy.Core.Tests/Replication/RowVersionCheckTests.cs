using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// An UPDATE that checks xmin, EF Core's concurrency token: main runs it as written, the others get the check made
/// true when main changed rows, false when main changed none (their own xmins differ from main's), in either protocol.
/// </summary>
public sealed class RowVersionCheckTests
{
    private const string Update = "UPDATE t SET n = n + 1 WHERE id = 1 AND xmin = 5";

    [Theory]
    [InlineData("UPDATE 1", "UPDATE t SET n = n + 1 WHERE id = 1 AND (xmin = 5 OR true)")]
    [InlineData("UPDATE 0", "UPDATE t SET n = n + 1 WHERE id = 1 AND (xmin = 5 AND false)")]
    public async Task A_query_gets_mains_outcome_on_the_others(string mainTag, string othersText)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Update, NodeReply.Command(mainTag));
        harness.Node(1).On(othersText, NodeReply.Command(mainTag));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C " + mainTag, "Z I"], await client.QueryAsync(Update));

        Assert.Contains("Q " + Update, harness.SentTo(0));
        Assert.Contains("Q " + othersText, harness.SentTo(1));
    }

    [Theory]
    [InlineData("UPDATE 1", "UPDATE t SET n = n + 1 WHERE id = 1 AND (xmin = 5 OR true)")]
    [InlineData("UPDATE 0", "UPDATE t SET n = n + 1 WHERE id = 1 AND (xmin = 5 AND false)")]
    public async Task A_group_gets_mains_outcome_on_the_others(string mainTag, string othersText)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Update, NodeReply.Command(mainTag));
        harness.Node(1).On(othersText, NodeReply.Command(mainTag));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C " + mainTag, "Z I"], await client.ExchangeAsync(ClientFrames.Group(Update)));

        Assert.Contains("P :" + Update, harness.SentTo(0));
        Assert.Contains("P :" + othersText, harness.SentTo(1));
    }

    [Fact]
    public async Task In_a_batch_each_check_gets_its_own_statements_outcome()
    {
        const string second = "UPDATE t SET n = n + 1 WHERE id = 2 AND xmin = 6";
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Update, NodeReply.Command("UPDATE 0"));
        harness.Node(0).On(second, NodeReply.Command("UPDATE 1"));
        harness.Node(1).On(s => s.Sql.StartsWith("UPDATE t SET n = n + 1 WHERE id = 1", StringComparison.Ordinal),
            NodeReply.Command("UPDATE 0"));
        harness.Node(1).On(s => s.Sql.StartsWith("UPDATE t SET n = n + 1 WHERE id = 2", StringComparison.Ordinal),
            NodeReply.Command("UPDATE 1"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C UPDATE 0", "1", "2", "n", "C UPDATE 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Update, second)));

        Assert.Contains("P :UPDATE t SET n = n + 1 WHERE id = 1 AND (xmin = 5 AND false)", harness.SentTo(1));
        Assert.Contains("P :UPDATE t SET n = n + 1 WHERE id = 2 AND (xmin = 6 OR true)", harness.SentTo(1));
    }
}
