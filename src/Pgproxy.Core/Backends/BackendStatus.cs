namespace Pgproxy.Core.Backends;

/// <summary>A node's state as pgpool reports it in <c>SHOW POOL_NODES</c>.</summary>
internal enum BackendStatus
{
    /// <summary>Configured and not known to be down, but no session has connected to it yet.</summary>
    Waiting,

    /// <summary>In the live set.</summary>
    Up,

    /// <summary>Detached (failed or diverged); stays down until recovered.</summary>
    Down,
}
