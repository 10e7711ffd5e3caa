using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>The single-node path counts what its node completed and reported, without parsing statements.</summary>
public sealed class SessionStatisticsTests
{
    [Fact]
    public async Task CompletedStatementsAndErrors_AreCountedForTheNode()
    {
        await using var harness = new ProxyHarness(new ScriptedBackendScript { ErrorOn = q => q.Contains("missing") });
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        foreach (var sql in new[] { "SELECT 1", "SELECT 2", "SELECT * FROM missing", "BEGIN", "COMMIT" })
        {
            await client.SendAsync(RawClient.Query(sql));
            await client.ReadUntilReadyForQueryAsync();
        }

        var stats = harness.Runtime.Nodes.Nodes[0].Statistics;
        Assert.Equal(2, stats.SelectCount);
        Assert.Equal(2, stats.OtherCount);
        Assert.Equal(1, stats.ErrorCount);
        Assert.Equal(0, stats.InsertCount + stats.UpdateCount + stats.DeleteCount + stats.DdlCount);
        Assert.Equal(0, stats.FatalCount + stats.PanicCount);
    }
}
