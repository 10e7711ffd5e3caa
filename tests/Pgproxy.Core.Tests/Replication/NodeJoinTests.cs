using System.Diagnostics;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A recovery's cutover copies main's sequences only once no session without the node is drawing on main
/// (NodeJoin), each step as the cutover takes it (gate closed, join begun, writes waited for, attach or not, join
/// ended, gate opened): such a session's write is counted while it runs on main; one that starts during the join
/// waits for its end and then goes on (node still down) or ends before reaching main (node attached); its COMMIT
/// held at the closed gate ends only when the cutover asks for its locks. A session with every node is untouched.
/// </summary>
public sealed class NodeJoinTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";

    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(600);

    [Fact]
    public async Task AWriteRunningOnMain_IsWaitedFor_AndItsCommitEndsTheSessionOnceTheNodeIsAttached()
    {
        await using var harness = TwoNodes(slowInsertOnMain: true);
        var node1 = Down(harness, 1);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var join = harness.Runtime.Nodes.Join;

        await client.SendQueryAsync(Insert);
        await UntilAsync(() => join.WritesOnMain == 1);
        using (var closure = (await harness.Runtime.WriteGate.CloseAsync(TimeSpan.FromSeconds(5))).Closure!)
        {
            join.Begin(1);
            Assert.False(await join.WaitForWritesAsync(TimeSpan.FromMilliseconds(50), TimeProvider.System, default));
            Assert.True(await join.WaitForWritesAsync(RawClient.Timeout, TimeProvider.System, default));
            Assert.True(harness.Runtime.Nodes.Attach(node1, "test"));
            join.End();
        }

        // Main ran the INSERT (its draw was in main's sequences before the copy); its COMMIT never comes.
        AssertFatal57P01(await client.ReadToEndAsync(), "was attached after this session connected");
        Assert.Contains(Insert, MainBackend(harness).Queries);
        Assert.DoesNotContain("COMMIT", MainBackend(harness).Queries);
        Assert.Equal(0, join.WritesOnMain);
    }

    [Fact]
    public async Task AWriteStartingDuringTheJoin_WaitsForIt_ThenEndsBeforeMainIfTheNodeWasAttached()
    {
        await using var harness = TwoNodes();
        var node1 = Down(harness, 1);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var join = harness.Runtime.Nodes.Join;

        join.Begin(1);
        await client.SendQueryAsync(Insert);
        var answer = client.ReadToEndAsync();
        await Task.Delay(200);
        Assert.False(answer.IsCompleted);
        Assert.DoesNotContain(Insert, MainBackend(harness).Queries);
        Assert.True(harness.Runtime.Nodes.Attach(node1, "test"));
        join.End();

        AssertFatal57P01(await answer.WaitAsync(RawClient.Timeout), "was attached after this session connected");
        Assert.DoesNotContain(Insert, MainBackend(harness).Queries);
    }

    [Fact]
    public async Task AWriteStartingDuringTheJoin_GoesOnWithMainIfTheNodeStayedDown()
    {
        await using var harness = TwoNodes();
        Down(harness, 1);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var join = harness.Runtime.Nodes.Join;

        join.Begin(1);
        await client.SendQueryAsync(Insert);
        var answer = client.ReadUntilReadyForQueryAsync();
        await Task.Delay(200);
        Assert.False(answer.IsCompleted);
        join.End(); // the cutover gave up: the node is still down

        Assert.Equal('Z', (await answer.WaitAsync(RawClient.Timeout))[^1].Type);
        Assert.Contains("COMMIT", MainBackend(harness).Queries);
        Assert.Equal(0, join.WritesOnMain);
    }

    [Fact]
    public async Task ACommitHeldAtTheClosedGate_EndsOnlyWhenTheCutoverAsksForItsLocks()
    {
        await using var harness = TwoNodes();
        Down(harness, 1);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var join = harness.Runtime.Nodes.Join;
        Assert.Equal('Z', (await Run(client, "BEGIN"))[^1].Type);
        Assert.Equal('Z', (await Run(client, Insert))[^1].Type);

        using var closure = (await harness.Runtime.WriteGate.CloseAsync(TimeSpan.FromSeconds(5))).Closure!;
        await client.SendQueryAsync("COMMIT");
        var answer = client.ReadToEndAsync();
        join.Begin(1);
        try
        {
            await Task.Delay(200);
            Assert.False(answer.IsCompleted); // a join alone ends nobody: the attempt may yet fail
            join.ReleaseLocks();

            // Ended with the gate still closed: what it held on main is let go now, not when the gate opens.
            AssertFatal57P01(await answer.WaitAsync(RawClient.Timeout), "holds locks its cutover waits for");
            Assert.True(harness.Runtime.WriteGate.IsClosed);
            Assert.DoesNotContain("COMMIT", MainBackend(harness).Queries);
        }
        finally
        {
            join.End();
        }
    }

    [Fact]
    public async Task ASessionWithEveryNode_IsNotCounted_NorHeld_NorWokenAtTheGate()
    {
        await using var harness = TwoNodes(slowInsertOnMain: true);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var join = harness.Runtime.Nodes.Join;
        Assert.Equal('Z', (await Run(client, "BEGIN"))[^1].Type);

        join.Begin(1);
        await client.SendQueryAsync(Insert);
        await UntilAsync(() => MainBackend(harness).Queries.Contains(Insert));
        Assert.Equal(0, join.WritesOnMain);
        Assert.Equal('Z', (await client.ReadUntilReadyForQueryAsync())[^1].Type);

        var closure = (await harness.Runtime.WriteGate.CloseAsync(TimeSpan.FromSeconds(5))).Closure!;
        await client.SendQueryAsync("COMMIT");
        var answer = client.ReadUntilReadyForQueryAsync();
        join.ReleaseLocks();
        await Task.Delay(300);
        Assert.False(answer.IsCompleted);
        join.End();
        closure.Dispose();
        Assert.Equal("CZ", Types(await answer.WaitAsync(RawClient.Timeout)));
    }

    private static ProxyHarness TwoNodes(bool slowInsertOnMain = false)
    {
        var harness = new ProxyHarness(configure: o => o with
        {
            Backends =
            [
                new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5432 },
                new BackendConfig { NodeId = 1, Hostname = "127.0.0.1", Port = 5433 },
            ],
            LoadBalanceMode = false,
            ReplicationCommit = "one_phase",
        });
        if (slowInsertOnMain)
        {
            harness.Connector.NodeScripts[0] = new ScriptedBackendScript { SlowOn = sql => sql == Insert ? Slow : null };
        }

        return harness;
    }

    private static BackendNode Down(ProxyHarness harness, int nodeId)
    {
        var node = harness.Runtime.Nodes.Find(nodeId)!;
        Assert.True(harness.Runtime.Nodes.Degenerate(node, "test"));
        return node;
    }

    private static ScriptedBackend MainBackend(ProxyHarness harness) => harness.Connector.Backends.Single(b => b.NodeId == 0);

    private static async Task<IReadOnlyList<BackendMessage>> Run(RawClient client, string sql)
    {
        await client.SendQueryAsync(sql);
        return await client.ReadUntilReadyForQueryAsync();
    }

    private static void AssertFatal57P01(IReadOnlyList<BackendMessage> answer, string why)
    {
        Assert.NotEmpty(answer);
        Assert.Equal('E', answer[^1].Type);
        Assert.Equal(SqlState.AdminShutdown, answer[^1].SqlState);
        Assert.Contains(why, answer[^1].ErrorText, StringComparison.Ordinal);
    }

    private static string Types(IReadOnlyList<BackendMessage> messages) =>
        string.Concat(messages.Select(m => m.Type));

    private static async Task UntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < RawClient.Timeout, "never reached");
            await Task.Delay(5);
        }
    }
}
