using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Tests.Backends;

/// <summary>
/// A client's cancel waits while a BEGIN pgproxy sent may still run on the backend (CancelHold): landing there,
/// it failed the BEGIN alone, and the statement behind it ran in autocommit on that node only.
/// </summary>
public sealed class CancelHoldTests
{
    [Fact]
    public async Task ACancelGoesAtOnce_WhenNoBeginIsInFlight()
    {
        var hold = new CancelHold();

        Assert.True(hold.WhenNoBeginAsync().IsCompleted);
        hold.Hold();
        hold.Release();
        Assert.True(hold.WhenNoBeginAsync().IsCompleted);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ACancelWaitsForTheBeginsReadyForQuery()
    {
        var hold = new CancelHold();
        hold.Hold();
        hold.Hold(); // the client's deferred BEGIN, then pgproxy's own in a later request, both unread

        var waiting = hold.WhenNoBeginAsync();
        hold.Release();
        await Task.Delay(10);
        Assert.False(waiting.IsCompleted);

        hold.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ACancelWaitsAtMostMaxWaitAfterTheLastBegin_AndNotAtAllOnceTheRepliesWereDropped()
    {
        var hold = new CancelHold();
        hold.Hold(); // an answer pgproxy reads late, owed to a later statement

        await hold.WhenNoBeginAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(hold.WhenNoBeginAsync().IsCompleted); // that BEGIN is long done: no wait at all

        hold.Hold();
        var waiting = hold.WhenNoBeginAsync();
        hold.Reset();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(hold.WhenNoBeginAsync().IsCompleted);
    }
}
