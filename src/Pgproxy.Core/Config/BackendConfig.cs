namespace Pgproxy.Core.Config;

/// <summary>
/// One backend node as configured by the indexed pgpool keys <c>backend_hostnameN</c>, <c>backend_portN</c>,
/// <c>backend_weightN</c>, <c>backend_flagN</c> and <c>backend_data_directoryN</c>.
/// </summary>
public sealed record BackendConfig
{
    /// <summary>The N in <c>backend_hostnameN</c>; node ids are stable across reloads.</summary>
    public required int NodeId { get; init; }

    /// <summary>Host name, IP address, or a directory (leading <c>/</c>) holding the Unix socket.</summary>
    public required string Hostname { get; init; }

    public int Port { get; init; } = 5432;

    /// <summary>Relative share of load-balanced reads; 0 means never chosen for reads.</summary>
    public double Weight { get; init; } = 1;

    /// <summary><c>ALLOW_TO_FAILOVER</c>, <c>DISALLOW_TO_FAILOVER</c> or <c>ALWAYS_PRIMARY</c>, joined with <c>|</c>.</summary>
    public string Flag { get; init; } = "ALLOW_TO_FAILOVER";

    /// <summary>
    /// <c>DISALLOW_TO_FAILOVER</c> is in <see cref="Flag"/>: a failed health check only logs, as in pgpool.
    /// </summary>
    public bool DisallowToFailover =>
        Flag.Split('|').Contains("DISALLOW_TO_FAILOVER", StringComparer.OrdinalIgnoreCase);

    public string DataDirectory { get; init; } = "";
}
