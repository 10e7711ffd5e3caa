using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Recovery;

/// <summary>What the checks found: the node, main, and main's databases to copy (the system DB left out).</summary>
internal sealed record RecoveryPlan(BackendNode Node, BackendNode Main, IReadOnlyList<RecoveryDatabase> Databases,
    IReadOnlyList<string> NodeDatabasesToDrop);
