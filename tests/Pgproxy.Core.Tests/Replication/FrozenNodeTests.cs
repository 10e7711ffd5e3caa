using System.Diagnostics;
using Pgproxy.Core.Config;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A node that stops answering (a PostgreSQL stopped with SIGSTOP: the connection stays open, nothing comes back)
/// holds a statement only until the node is degenerated, as the health check does when it finds it: then the
/// statement stops waiting at once and the session carries on with the other node (issue 11, item 3).
/// </summary>
public sealed class FrozenNodeTests
{
    /// <summary>Far below the scripted backend's own life (2 minutes) and RawClient's read timeout (10 s).</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    private const string Update = "UPDATE accounts SET balance = balance + 1 WHERE id = 1";

    private const string SecondUpdate = "UPDATE accounts SET balance = balance - 1 WHERE id = 2";

    [Fact]
    public async Task FrozenReplica_DegeneratedWhileAWriteWaitsOnIt_TheWriteCompletesWithMain()
    {
        await using var harness = TwoNodes();
        harness.Connector.NodeScripts[1] = new ScriptedBackendScript { FreezeOn = sql => sql == Update };
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync(Update);
        await WaitUntilFrozenAsync(harness, nodeId: 1);
        var replies = await DegenerateAndReadAsync(harness, client, nodeId: 1);

        Assert.Equal("TDCZ", Types(replies));
        Assert.Equal((byte)'I', replies[^1].Body[0]);

        // The session goes on with node 0 alone; node 1 gets nothing more.
        var frozenReceived = Frozen(harness, 1).Received.Count;
        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));
        Assert.Equal(frozenReceived, Frozen(harness, 1).Received.Count);
    }

    [Fact]
    public async Task FrozenMain_DegeneratedWhileATransactionWaitsOnIt_TheClientGets40001AtOnce()
    {
        await using var harness = TwoNodes();
        harness.Connector.NodeScripts[0] = new ScriptedBackendScript { FreezeOn = sql => sql == SecondUpdate };
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        // The transaction has written on main before main stops answering: it cannot go on without main.
        await client.SendQueryAsync("BEGIN");
        Assert.Equal("CZ", Types(await client.ReadUntilReadyForQueryAsync()));
        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));
        await client.SendQueryAsync(SecondUpdate);
        await WaitUntilFrozenAsync(harness, nodeId: 0);
        var replies = await DegenerateAndReadAsync(harness, client, nodeId: 0);

        // The transaction was lost with main: a retryable error, and the transaction is failed, as after an error.
        Assert.Equal("EZ", Types(replies));
        Assert.Equal("40001", replies[0].SqlState);
        Assert.Contains("health check failed: frozen", replies[0].ErrorText, StringComparison.Ordinal);
        Assert.Equal((byte)'E', replies[^1].Body[0]);

        await client.SendQueryAsync("ROLLBACK");
        Assert.Equal("CZ", Types(await client.ReadUntilReadyForQueryAsync()));
        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));
    }

    [Fact]
    public async Task NewSession_ConnectingToANodeThatNeverAnswersTheStartup_StartsOnceTheNodeIsDegenerated()
    {
        // connect_timeout far away, so only the degeneration can end the wait.
        await using var harness = TwoNodes(o => o with { ConnectTimeout = 120_000 });
        harness.Connector.NodeScripts[1] = new ScriptedBackendScript { FreezeAtStartup = true };
        var client = harness.Connect();
        await using var __ = client;

        await client.SendStartupAsync("alice", "app");
        await UntilAsync(() => harness.Connector.Backends.Any(b => b.NodeId == 1 && b.Startup is not null));
        var replies = await DegenerateAndReadAsync(harness, client, nodeId: 1);

        Assert.Equal('R', replies[0].Type);
        Assert.Equal('Z', replies[^1].Type);
        await client.SendQueryAsync(Update);
        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));
    }

    [Fact]
    public async Task AttachedAgain_TheNodeServesNewSessions()
    {
        await using var harness = TwoNodes();
        var node = harness.Runtime.Nodes.Find(1)!;
        Assert.True(harness.Runtime.Nodes.Degenerate(node, "test"));
        Assert.True(node.DownToken.IsCancellationRequested);

        Assert.True(harness.Runtime.Nodes.Attach(node, "test"));
        Assert.False(node.DownToken.IsCancellationRequested);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        await client.SendQueryAsync(Update);

        Assert.Equal("TDCZ", Types(await client.ReadUntilReadyForQueryAsync()));
        Assert.Contains(Update, harness.Connector.Backends.Single(b => b.NodeId == 1).Queries);
    }

    private static ProxyHarness TwoNodes(Func<ProxyOptions, ProxyOptions>? configure = null) => new(configure: o =>
    {
        o = o with
        {
            Backends =
            [
                new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5432 },
                new BackendConfig { NodeId = 1, Hostname = "127.0.0.1", Port = 5433 },
            ],
            LoadBalanceMode = false,
        };
        return configure?.Invoke(o) ?? o;
    });

    private static ScriptedBackend Frozen(ProxyHarness harness, int nodeId) =>
        harness.Connector.Backends.Single(b => b.NodeId == nodeId);

    private static Task WaitUntilFrozenAsync(ProxyHarness harness, int nodeId) =>
        UntilAsync(() => harness.Connector.Backends.Any(b => b.NodeId == nodeId && b.Frozen));

    private static async Task UntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < RawClient.Timeout, "the scripted node was never reached");
            await Task.Delay(10);
        }
    }

    /// <summary>Degenerates the node as the health check would, then reads the client's answer, timed.</summary>
    private static async Task<IReadOnlyList<BackendMessage>> DegenerateAndReadAsync(ProxyHarness harness,
        RawClient client, int nodeId)
    {
        // The statement is stuck on the frozen node: nothing reaches the client while the node is up.
        var early = client.ReadMessageAsync();
        await Task.Delay(200);
        Assert.False(early.IsCompleted, "the client got an answer before the node was degenerated");

        var stopwatch = Stopwatch.StartNew();
        Assert.True(harness.Runtime.Nodes.Degenerate(harness.Runtime.Nodes.Find(nodeId)!,
            "health check failed: frozen"));
        var first = await early.WaitAsync(Prompt) ?? throw new InvalidOperationException("connection closed");
        var replies = new List<BackendMessage> { first };
        if (first.Type != 'Z')
        {
            replies.AddRange(await client.ReadUntilReadyForQueryAsync().WaitAsync(Prompt));
        }

        Assert.True(stopwatch.Elapsed < Prompt, $"answered {stopwatch.Elapsed} after the degeneration");
        return replies;
    }

    private static string Types(IEnumerable<BackendMessage> messages) => string.Concat(messages.Select(m => m.Type));
}
