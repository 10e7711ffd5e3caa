namespace Pgproxy.Core.Consistency;

/// <summary>Where a check run is.</summary>
internal enum CheckState
{
    Running,

    /// <summary>Every node compared holds what main holds.</summary>
    Identical,

    /// <summary>At least one finding.</summary>
    Differs,

    /// <summary>Could not check (no common cut, a node unreachable, fewer than two nodes…): see the error.</summary>
    Failed,
}
