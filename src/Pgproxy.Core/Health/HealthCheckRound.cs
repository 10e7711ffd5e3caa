namespace Pgproxy.Core.Health;

/// <summary>
/// One round of pgpool's health check for one node: an attempt, then up to <c>health_check_max_retries</c>
/// more with <c>health_check_retry_delay</c> before each, stopping at the first success. The attempt and the
/// wait are passed in, so the counting can be tested without a server or a clock.
/// </summary>
internal static class HealthCheckRound
{
    /// <summary>
    /// Runs the round. <paramref name="onFailedAttempt"/> hears of every failed attempt that will be retried
    /// (with the number of the retry to come, from 1).
    /// </summary>
    public static async Task<HealthCheckRoundResult> RunAsync(
        Func<CancellationToken, Task<HealthProbeResult>> attempt,
        int maxRetries,
        TimeSpan retryDelay,
        Func<TimeSpan, CancellationToken, Task> delay,
        Action<int, HealthProbeResult>? onFailedAttempt,
        CancellationToken cancellationToken)
    {
        var retries = 0;
        while (true)
        {
            var result = await attempt(cancellationToken);
            if (result.Succeeded || retries >= maxRetries)
            {
                return new HealthCheckRoundResult(result, retries);
            }

            retries++;
            onFailedAttempt?.Invoke(retries, result);
            if (retryDelay > TimeSpan.Zero)
            {
                await delay(retryDelay, cancellationToken);
            }
        }
    }
}
