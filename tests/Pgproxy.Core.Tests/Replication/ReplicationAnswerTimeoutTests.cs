using System.Diagnostics;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// <c>replication_answer_timeout</c>: with health checks off (the default) a node that stops answering must not hold
/// a write for ever. Once main has answered, the other nodes get main's time plus the setting; a node later than
/// that is degenerated and the write completes with main. Main itself is never bounded (issue 11, item 3).
/// </summary>
public sealed class ReplicationAnswerTimeoutTests
{
    private const string Update = "UPDATE accounts SET balance = balance + 1 WHERE id = 1";

    /// <summary>Far below RawClient's read timeout (10 s), well above the 1 s setting.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task FrozenReplica_AutocommitWrite_CompletesWithMainAndTheNodeIsDegenerated()
    {
        await using var harness = TwoNodes(answerTimeout: 1);
        harness.Connector.NodeScripts[1] = new ScriptedBackendScript { FreezeOn = sql => sql == Update };
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        var stopwatch = Stopwatch.StartNew();
        await client.SendQueryAsync(Update);
        var replies = await client.ReadUntilReadyForQueryAsync().WaitAsync(Prompt);

        Assert.Equal("TDCZ", Types(replies));
        Assert.Equal((byte)'I', replies[^1].Body[0]);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(0.9), $"answered after {stopwatch.Elapsed}");
        var node = harness.Runtime.Nodes.Find(1)!;
        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.Contains("replication_answer_timeout", node.LastStatusReason, StringComparison.Ordinal);
        Assert.Equal(BackendStatus.Up, harness.Runtime.Nodes.Find(0)!.Status);

        // The session goes on with main alone.
        var frozenReceived = Backend(harness, 1).Received.Count;
        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));
        Assert.Equal(frozenReceived, Backend(harness, 1).Received.Count);
    }

    [Fact]
    public async Task FrozenReplica_WriteInsideATransaction_CommitCompletesWithMain()
    {
        await using var harness = TwoNodes(answerTimeout: 1);
        harness.Connector.NodeScripts[1] = new ScriptedBackendScript { FreezeOn = sql => sql == Update };
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync("BEGIN");
        Assert.Equal("CZ", Types(await client.ReadUntilReadyForQueryAsync()));
        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));

        // The others' answer to the UPDATE is awaited before the COMMIT: node 1 never gives it.
        await client.SendQueryAsync("COMMIT");
        var replies = await client.ReadUntilReadyForQueryAsync().WaitAsync(Prompt);

        Assert.Equal("CZ", Types(replies));
        Assert.Equal((byte)'I', replies[^1].Body[0]);
        var node = harness.Runtime.Nodes.Find(1)!;
        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.Contains("replication_answer_timeout", node.LastStatusReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowMain_OtherAsSlow_NeitherIsDegenerated()
    {
        // The statement takes 4 s on every node: the other node answers 4 s after main, beyond the 2 s setting but
        // within main's time plus the setting. (With 2 s and 1 s, a full test run's load once used up the margin.)
        await using var harness = TwoNodes(answerTimeout: 2);
        var slow = new ScriptedBackendScript
        {
            SlowOn = sql => sql == Update ? TimeSpan.FromSeconds(4) : null,
        };
        harness.Connector.NodeScripts[0] = slow;
        harness.Connector.NodeScripts[1] = slow;
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        var stopwatch = Stopwatch.StartNew();
        await client.SendQueryAsync(Update);
        var replies = await client.ReadUntilReadyForQueryAsync().WaitAsync(TimeSpan.FromSeconds(16));

        Assert.Equal("TDCZ", Types(replies));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(7.9), $"answered after {stopwatch.Elapsed}");
        Assert.Equal(BackendStatus.Up, harness.Runtime.Nodes.Find(0)!.Status);
        Assert.Equal(BackendStatus.Up, harness.Runtime.Nodes.Find(1)!.Status);
        Assert.Contains(Update, Backend(harness, 1).Queries);
    }

    [Fact]
    public async Task FrozenMain_IsNeverDegeneratedByTheSetting()
    {
        // Main takes longer than the setting: that is the client's business, not a reason to take main out.
        await using var harness = TwoNodes(answerTimeout: 1);
        harness.Connector.NodeScripts[0] = new ScriptedBackendScript
        {
            SlowOn = sql => sql == Update ? TimeSpan.FromSeconds(2.5) : null,
        };
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync().WaitAsync(Prompt)));
        Assert.Equal(BackendStatus.Up, harness.Runtime.Nodes.Find(0)!.Status);
        Assert.Equal(BackendStatus.Up, harness.Runtime.Nodes.Find(1)!.Status);
    }

    private static ProxyHarness TwoNodes(int answerTimeout) => new(configure: o => o with
    {
        Backends =
        [
            new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5432 },
            new BackendConfig { NodeId = 1, Hostname = "127.0.0.1", Port = 5433 },
        ],
        LoadBalanceMode = false,
        HealthCheckPeriod = 0,
        ReplicationAnswerTimeout = answerTimeout,
    });

    private static ScriptedBackend Backend(ProxyHarness harness, int nodeId) =>
        harness.Connector.Backends.Single(b => b.NodeId == nodeId);

    private static string Types(IEnumerable<BackendMessage> messages) => string.Concat(messages.Select(m => m.Type));
}
