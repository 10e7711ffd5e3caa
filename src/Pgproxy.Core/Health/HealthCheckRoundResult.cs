namespace Pgproxy.Core.Health;

/// <summary>How a round ended (its last attempt) and how many retries it took.</summary>
internal readonly record struct HealthCheckRoundResult(HealthProbeResult Last, int Retries);
