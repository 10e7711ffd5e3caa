namespace Pgproxy.Core.Health;

/// <summary>How one health check attempt ended.</summary>
internal enum HealthCheckFailure
{
    /// <summary>The node accepted the connection and finished the startup: it is alive.</summary>
    None,

    /// <summary>
    /// The node could not be reached or dropped the connection, or said it is starting up or shutting down
    /// (SQLSTATE class 08 or 57): it is down, and a failover is due once the retries are used up.
    /// </summary>
    Unreachable,

    /// <summary>No answer within <c>health_check_timeout</c>: a hung node or network, treated as down.</summary>
    TimedOut,

    /// <summary>
    /// PostgreSQL answered but refused the check's own login (wrong password, unknown user or database, too many
    /// connections…). The node is alive; the check's configuration is wrong. pgpool fails such a node over, and
    /// with a mistyped password that takes every node down at once; pgproxy counts and logs the failure instead.
    /// </summary>
    Refused,
}
