using Pgproxy.Core.Replication;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Autocommit DDL of different sessions reaches every node in one order (issue 17 item 4): a node numbers the types
/// it creates by the order their statements arrive, and two sessions' CREATE TYPE used to reach main in one order
/// and node 1 in the other, so the same type had two OIDs and Npgsql, loading OIDs from one node and sending them
/// to the other, got "cache lookup failed for type".
/// </summary>
public sealed class CatalogWriteOrderTests
{
    private const string First = "CREATE TYPE first_type AS (x int)";
    private const string Second = "CREATE TYPE second_type AS (x int)";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_second_sessions_DDL_waits_until_the_first_committed_on_every_node()
    {
        await using var harness = new ReplicationHarness();
        using var firstOnMain = new ManualResetEventSlim();
        using var releaseMain = new ManualResetEventSlim();
        // Main holds the first session's statement (a lock wait, a long index build) until the test lets it go.
        harness.Node(0).On(s =>
        {
            if (s.Sql != First)
            {
                return false;
            }

            firstOnMain.Set();
            return releaseMain.Wait(Long);
        }, NodeReply.Command("CREATE TYPE"));
        await using var one = await harness.StartClientAsync();
        await using var two = await harness.StartClientAsync();

        var first = one.QueryAsync(First);
        Assert.True(firstOnMain.Wait(Long));
        var second = two.QueryAsync(Second);
        await Task.Delay(300);

        Assert.DoesNotContain("Q " + Second, harness.SentTo(0)); // waits its turn, not sent beside the first
        releaseMain.Set();
        Assert.Equal(["C CREATE TYPE", "Z I"], await first.WaitAsync(Long));
        Assert.Equal(["C CREATE TYPE", "Z I"], await second.WaitAsync(Long));
        for (var node = 0; node < 2; node++)
        {
            Assert.True(harness.IndexOf(node, "Q " + First) < harness.IndexOf(node, "Q " + Second));
        }

        // The first committed on every node (main last) before the second reached main.
        Assert.True(harness.IndexOf(0, "Q COMMIT") < harness.IndexOf(0, "Q " + Second));
    }

    [Fact]
    public async Task DDL_inside_a_transaction_waits_its_turn_briefly_and_other_writes_not_at_all()
    {
        await using var harness = new ReplicationHarness();
        await using var one = await harness.StartClientAsync();
        await using var two = await harness.StartClientAsync();
        await using var three = await harness.StartClientAsync();
        var turn = await harness.Runtime.CatalogWrites.EnterAsync(ordered: true, autocommit: true); // DDL in flight

        Assert.Equal(["C INSERT 0 1", "Z I"], await three.QueryAsync("INSERT INTO t VALUES (1)").WaitAsync(Long));
        Assert.Equal(["C BEGIN", "Z T"], await two.QueryAsync("BEGIN"));
        var inTransaction = two.QueryAsync(Second);
        var autocommit = one.QueryAsync(First);
        await Task.Delay(300);
        Assert.DoesNotContain("Q " + Second, harness.SentTo(0));
        Assert.DoesNotContain("Q " + First, harness.SentTo(0));
        turn.Dispose();

        Assert.Equal(["C CREATE TYPE", "Z T"], await inTransaction.WaitAsync(Long));
        Assert.Equal(["C CREATE TYPE", "Z I"], await autocommit.WaitAsync(Long));
        Assert.Equal(["C COMMIT", "Z I"], await two.QueryAsync("COMMIT").WaitAsync(Long));
    }

    [Fact]
    public async Task A_turn_held_past_the_bound_lets_the_next_write_run_unordered()
    {
        var order = new CatalogWriteOrder(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        using var held = await order.EnterAsync(ordered: true, autocommit: true);

        // Inside a transaction the session may hold a lock the holder waits for: it waits briefly, then runs anyway.
        using var late = await order.EnterAsync(ordered: true, autocommit: false);

        Assert.True(held.Held);
        Assert.False(late.Held);
        Assert.False((await order.EnterAsync(ordered: false, autocommit: true)).Held);
    }
}
