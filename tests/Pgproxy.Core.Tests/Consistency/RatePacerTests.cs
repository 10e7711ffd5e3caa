using Pgproxy.Core.Consistency;
using Pgproxy.TestUtilities;

namespace Pgproxy.Core.Tests.Consistency;

public sealed class RatePacerTests
{
    [Fact]
    public void Unlimited_NeverWaits()
    {
        var pacer = new RatePacer(0, new ManualTimeProvider());
        Assert.Equal(TimeSpan.Zero, pacer.Record(1_000_000));
    }

    [Fact]
    public void WaitsUntilRowsOverElapsedIsWithinTheRate()
    {
        var clock = new ManualTimeProvider();
        var pacer = new RatePacer(1000, clock);
        pacer.Start();

        Assert.Equal(TimeSpan.FromMilliseconds(500), pacer.Record(500));
        clock.Advance(TimeSpan.FromMilliseconds(500));
        clock.Advance(TimeSpan.FromMilliseconds(200)); // the next chunk took 200 ms to read
        Assert.Equal(TimeSpan.FromMilliseconds(300), pacer.Record(500));
        clock.Advance(TimeSpan.FromSeconds(5)); // reading slower than the rate: no wait
        Assert.Equal(TimeSpan.Zero, pacer.Record(1000));
        Assert.Equal(2000, pacer.Rows);
    }

    [Fact]
    public async Task PaceAsync_WaitsOnTheTimeProvider()
    {
        var clock = new ManualTimeProvider();
        var pacer = new RatePacer(100, clock);
        pacer.Start();

        var pacing = pacer.PaceAsync(50, CancellationToken.None);
        Assert.False(pacing.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(pacing.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await pacing.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
