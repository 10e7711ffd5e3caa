namespace Pgproxy.Core.Admin;

/// <summary>The <c>SHOW POOL_*</c> commands pgproxy answers itself instead of PostgreSQL.</summary>
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
}
