namespace Pgproxy.Core.Health;

/// <summary>The outcome of one health check attempt: <see cref="HealthCheckFailure.None"/> or why it failed.</summary>
internal readonly record struct HealthProbeResult(HealthCheckFailure Failure, string Reason)
{
    public static HealthProbeResult Ok { get; } = new(HealthCheckFailure.None, "");

    public bool Succeeded => Failure == HealthCheckFailure.None;

    /// <summary>True when the node itself looks down (not merely refusing the check's login).</summary>
    public bool NodeLooksDown => Failure is HealthCheckFailure.Unreachable or HealthCheckFailure.TimedOut;
}
