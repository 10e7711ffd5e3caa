using Pgproxy.Core.Health;

namespace Pgproxy.Core.Tests.Health;

public sealed class HealthCheckStatsTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static HealthCheckRoundResult Round(bool ok, int retries) =>
        new(ok ? HealthProbeResult.Ok : new HealthProbeResult(HealthCheckFailure.Unreachable, "gone"), retries);

    [Fact]
    public void Fresh_EverythingZeroAndNever()
    {
        var s = new HealthCheckStats().Snapshot();

        Assert.Equal(0, s.TotalCount);
        Assert.Equal(0, s.MinDurationMs);
        Assert.Equal(0, s.AverageRetryCount);
        Assert.Equal(0, s.AverageDurationMs);
        Assert.Null(s.LastHealthCheck);
    }

    [Fact]
    public void Rounds_AreCountedAsPgpoolCountsThem()
    {
        var stats = new HealthCheckStats();
        stats.RecordRound(T0, TimeSpan.FromMilliseconds(10), Round(ok: true, retries: 0));
        stats.RecordRound(T0.AddSeconds(1), TimeSpan.FromMilliseconds(40), Round(ok: true, retries: 2));
        stats.RecordRound(T0.AddSeconds(2), TimeSpan.FromMilliseconds(25.9), Round(ok: false, retries: 1));
        stats.RecordSkip(T0.AddSeconds(3));

        var s = stats.Snapshot();

        Assert.Equal(4, s.TotalCount);
        Assert.Equal(2, s.SuccessCount);
        Assert.Equal(1, s.FailCount);
        Assert.Equal(1, s.SkipCount);
        Assert.Equal(3, s.RetryCount);
        Assert.Equal(2, s.MaxRetryCount);
        Assert.Equal(1.0, s.AverageRetryCount); // 3 retries / 3 rounds that ran
        Assert.Equal(40, s.MaxDurationMs);
        Assert.Equal(10, s.MinDurationMs);
        Assert.Equal(25.0, s.AverageDurationMs); // (10 + 40 + 25) / 3
        Assert.Equal(T0.AddSeconds(2), s.LastHealthCheck);
        Assert.Equal(T0.AddSeconds(1), s.LastSuccessfulHealthCheck);
        Assert.Equal(T0.AddSeconds(2), s.LastFailedHealthCheck);
        Assert.Equal(T0.AddSeconds(3), s.LastSkipHealthCheck);
        Assert.Equal("gone", s.LastFailure);
    }

    [Fact]
    public void OnlySkips_AveragesStayZero()
    {
        var stats = new HealthCheckStats();
        stats.RecordSkip(T0);
        stats.RecordSkip(T0);

        var s = stats.Snapshot();

        Assert.Equal(2, s.TotalCount);
        Assert.Equal(2, s.SkipCount);
        Assert.Equal(0, s.AverageRetryCount);
        Assert.Equal(0, s.AverageDurationMs);
        Assert.Null(s.LastHealthCheck);
    }
}
