using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A node's max_prepared_transactions bounds how many of pgproxy's transactions are prepared there at once
/// (<see cref="Core.Replication.PrepareSlots"/>): a commit beyond it waits for a slot instead of getting 53200 from
/// PREPARE TRANSACTION, and every way a commit ends gives its slot back.
/// </summary>
public sealed class PrepareSlotsTests
{
    private const string Update = "UPDATE t SET v = 1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_commit_beyond_the_nodes_limit_waits_until_the_one_before_it_committed_everywhere()
    {
        await using var harness = TwoPhaseHeldBackTests.TwoPhaseHarness();
        var state = harness.Runtime.TwoPhase;
        state.Slots.SetLimit(1, 1);
        await using var first = await harness.StartClientAsync();
        await using var second = await harness.StartClientAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holds = 0;
        state.BeforeMainCommit = async () =>
        {
            if (Interlocked.Increment(ref holds) == 1)
            {
                held.SetResult();
                await release.Task; // the first commit stays prepared on node 1, holding its one slot
            }
        };
        foreach (var client in new[] { first, second })
        {
            await client.QueryAsync("BEGIN");
            Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        }

        var firstCommit = first.QueryAsync("COMMIT");
        await held.Task.WaitAsync(Patience);
        var secondCommit = second.QueryAsync("COMMIT");
        while (state.Slots.Waiting == 0)
        {
            Assert.False(secondCommit.IsCompleted, "the second commit ended without waiting for a slot");
            await Task.Delay(10);
        }

        Assert.Single(harness.SentTo(1), text => text.StartsWith("Q PREPARE TRANSACTION", StringComparison.Ordinal));
        release.SetResult();

        Assert.Equal(["C COMMIT", "Z I"], await firstCommit.WaitAsync(Patience));
        Assert.Equal(["C COMMIT", "Z I"], await secondCommit.WaitAsync(Patience));
        var toNode1 = harness.SentTo(1).ToList();
        var prepares = toNode1.FindAll(text => text.StartsWith("Q PREPARE TRANSACTION", StringComparison.Ordinal));
        Assert.Equal(2, prepares.Count);
        Assert.True(toNode1.FindIndex(text => text.StartsWith("Q COMMIT PREPARED", StringComparison.Ordinal))
                    < toNode1.FindLastIndex(text => text.StartsWith("Q PREPARE TRANSACTION", StringComparison.Ordinal)),
            "node 1 prepared the second transaction before it committed the first: " + string.Join(", ", toNode1));
        Assert.Equal(1, state.Slots.Waits);
        Assert.Equal(2, state.TwoPhaseCommits);
    }

    [Fact]
    public async Task A_commit_that_failed_gives_its_slot_back()
    {
        await using var harness = TwoPhaseHeldBackTests.TwoPhaseHarness();
        harness.Runtime.TwoPhase.Slots.SetLimit(1, 1);
        harness.Node(1).On("UPDATE t SET v = 2", NodeReply.Command("UPDATE 2")); // node 1 differs: the COMMIT fails
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync("UPDATE t SET v = 2");
        Assert.Equal(["E XX001", "Z E"], await client.QueryAsync("COMMIT"));
        await client.QueryAsync("ROLLBACK");
        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Update);
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT").WaitAsync(Patience));

        Assert.Equal(0, harness.Runtime.TwoPhase.Slots.Waits);
        Assert.Equal(1, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }
}
