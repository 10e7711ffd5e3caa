namespace Pgproxy.Core.Admin;

/// <summary>
/// The <c>SHOW POOL_*</c> and <c>PGPROXY ATTACH|DETACH NODE n</c> commands pgproxy answers itself instead of
/// PostgreSQL.
/// </summary>
internal enum AdminCommand
{
    None,
    PoolNodes,
    PoolProcesses,
    PoolPools,
    PoolVersion,
    PoolStatus,
    PoolHealthCheckStats,
    PoolBackendStats,

    /// <summary><c>PGPROXY ATTACH NODE n</c>: bring a down node back (admin_users only).</summary>
    AttachNode,

    /// <summary><c>PGPROXY DETACH NODE n</c>: take a node out for every session (admin_users only).</summary>
    DetachNode,

    /// <summary><c>PGPROXY CHECK [TABLE t, …] [DATABASE d, …]</c>: start a consistency check (admin_users only).</summary>
    Check,

    /// <summary><c>SHOW POOL_CHECK</c>: the running or last consistency check, table by table.</summary>
    PoolCheck,

    /// <summary><c>PGPROXY RECOVER NODE n [WIPE]</c>: copy a down node from main while clients write (admin_users only).</summary>
    RecoverNode,

    /// <summary><c>SHOW POOL_RECOVERY</c>: the running or last recovery.</summary>
    PoolRecovery,
}
