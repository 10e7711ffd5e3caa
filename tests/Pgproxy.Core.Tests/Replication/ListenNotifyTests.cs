using Pgproxy.Core.Backends;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// LISTEN runs on every node (DESIGN §3.7), so every node sends its copy of a notification: the client gets main's
/// copy once, with main's pid untouched, whether it is idle or the notification comes with a reply of pgproxy's own.
/// </summary>
public sealed class ListenNotifyTests
{
    [Fact]
    public async Task ExtendedListen_NotificationWhileIdle_IsPushedOnceWithMainsPid()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C LISTEN", "Z I"], await client.ExchangeAsync(ClientFrames.Group("LISTEN ch")));
        Assert.Contains("P :LISTEN ch", harness.SentTo(1)); // every node listens, so each gets the notification

        await harness.Connection(1).NotifyAsync("idle");
        await harness.Connection(0).NotifyAsync("idle");

        var pushed = await client.ReadMessageAsync();
        Assert.Equal('A', pushed?.Type);
        Assert.Equal((harness.Connection(0).ProcessId, NodeSession.NotificationChannel, "idle"), pushed!.Notification);
        // Node 1's copy never reaches the client: the next answer is the query's alone.
        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group("SELECT 1")));
    }

    [Fact]
    public async Task SimpleListen_NotificationWhileIdle_IsPushed()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();
        Assert.Equal(["C LISTEN", "Z I"], await client.QueryAsync("LISTEN ch"));

        await harness.Connection(0).NotifyAsync("simple");

        var pushed = await client.ReadMessageAsync();
        Assert.Equal((harness.Connection(0).ProcessId, NodeSession.NotificationChannel, "simple"), pushed?.Notification);
    }

    /// <summary>
    /// An autocommit write ends with pgproxy's own COMMIT on main (and COMMIT PREPARED on the others), whose replies
    /// are swallowed: PostgreSQL sends the notifications that came in meanwhile right before that COMMIT's
    /// ReadyForQuery.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NotificationBeforeTheInternalCommitsReadyForQuery_IsForwardedOnce(bool extended)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(s => s.Sql == "COMMIT", NodeReply.Command("COMMIT") with { Notification = "main" }, times: 1);
        harness.Node(1).On(s => s.Sql.StartsWith("COMMIT", StringComparison.Ordinal),
            NodeReply.Command("COMMIT") with { Notification = "other" }, times: 1);
        await using var client = await harness.StartClientAsync();
        await client.ExchangeAsync(extended ? ClientFrames.Group("LISTEN ch") : ClientFrames.Query("LISTEN ch"));

        await client.SendAsync(extended ? ClientFrames.Group("INSERT INTO t VALUES (1)") : ClientFrames.Query("INSERT INTO t VALUES (1)"));
        var reply = await client.ReadUntilReadyForQueryAsync();

        Assert.Contains("Q COMMIT", harness.SentTo(0));
        string[] expected = extended ? ["A", "1", "2", "n", "C INSERT 0 1", "Z I"] : ["A", "C INSERT 0 1", "Z I"];
        Assert.Equal(expected, ClientReplies.Render(reply));
        Assert.Equal((harness.Connection(0).ProcessId, NodeSession.NotificationChannel, "main"), reply[0].Notification);
    }

    /// <summary>
    /// The idle wait on main gives up when the client's request comes: if a notification completes main's read at
    /// that very moment, main's next answer must still be read as one, not as a canceled read (a lost node).
    /// </summary>
    [Fact]
    public async Task NotificationsRacingTheClientsRequests_AreAllForwarded_AndMainStaysUp()
    {
        const int rounds = 300;
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();
        await client.QueryAsync("LISTEN ch");
        var main = harness.Connection(0);

        var notifications = 0;
        for (var i = 0; i < rounds; i++)
        {
            await Task.WhenAll(main.NotifyAsync("race"), client.SendQueryAsync("SELECT 1"));
            var reply = ClientReplies.Render(await client.ReadUntilReadyForQueryAsync());
            notifications += reply.Count(m => m == "A");
            Assert.Equal(["T", "D", "C SELECT 1", "Z I"], reply.Where(m => m != "A"));
        }

        // Every notification was in main's pipe before the answer to this query: any not read yet comes with it.
        notifications += (await client.QueryAsync("SELECT 1")).Count(m => m == "A");
        Assert.Equal(rounds, notifications);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
    }
}
