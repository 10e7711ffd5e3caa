using Pgproxy.Core.Health;

namespace Pgproxy.Core.Tests.Health;

public sealed class HealthCheckRoundTests
{
    private static readonly HealthProbeResult Down = new(HealthCheckFailure.Unreachable, "connection refused");

    /// <summary>Answers the attempts from a script and records every wait asked for, without waiting.</summary>
    private sealed class Script(params HealthProbeResult[] results)
    {
        private int _next;

        public int Attempts => _next;

        public List<TimeSpan> Delays { get; } = [];

        public List<int> RetriesAnnounced { get; } = [];

        public Task<HealthCheckRoundResult> RunAsync(int maxRetries, TimeSpan retryDelay) =>
            HealthCheckRound.RunAsync(
                _ => Task.FromResult(results[Math.Min(_next++, results.Length - 1)]),
                maxRetries,
                retryDelay,
                (delay, _) =>
                {
                    Delays.Add(delay);
                    return Task.CompletedTask;
                },
                (retry, _) => RetriesAnnounced.Add(retry),
                CancellationToken.None);
    }

    [Fact]
    public async Task FirstAttemptSucceeds_NoRetryNoWait()
    {
        var script = new Script(HealthProbeResult.Ok);

        var round = await script.RunAsync(maxRetries: 3, TimeSpan.FromSeconds(1));

        Assert.True(round.Last.Succeeded);
        Assert.Equal(0, round.Retries);
        Assert.Equal(1, script.Attempts);
        Assert.Empty(script.Delays);
    }

    [Fact]
    public async Task AlwaysDown_MakesMaxRetriesPlusOneAttempts_WaitingRetryDelayBeforeEachRetry()
    {
        var script = new Script(Down);

        var round = await script.RunAsync(maxRetries: 3, TimeSpan.FromSeconds(2));

        Assert.Equal(Down, round.Last);
        Assert.Equal(3, round.Retries);
        Assert.Equal(4, script.Attempts);
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)], script.Delays);
        Assert.Equal([1, 2, 3], script.RetriesAnnounced);
    }

    [Fact]
    public async Task NoRetriesConfigured_OneAttemptDecides()
    {
        var script = new Script(Down, HealthProbeResult.Ok);

        var round = await script.RunAsync(maxRetries: 0, TimeSpan.FromSeconds(1));

        Assert.False(round.Last.Succeeded);
        Assert.Equal(0, round.Retries);
        Assert.Equal(1, script.Attempts);
        Assert.Empty(script.Delays);
    }

    [Fact]
    public async Task SucceedsOnSecondRetry_StopsThere()
    {
        var script = new Script(Down, Down, HealthProbeResult.Ok, Down);

        var round = await script.RunAsync(maxRetries: 5, TimeSpan.FromSeconds(1));

        Assert.True(round.Last.Succeeded);
        Assert.Equal(2, round.Retries);
        Assert.Equal(3, script.Attempts);
        Assert.Equal(2, script.Delays.Count);
    }

    [Fact]
    public async Task RetryDelayZero_RetriesWithoutWaiting()
    {
        var script = new Script(Down);

        var round = await script.RunAsync(maxRetries: 2, TimeSpan.Zero);

        Assert.Equal(2, round.Retries);
        Assert.Equal(3, script.Attempts);
        Assert.Empty(script.Delays);
    }
}
