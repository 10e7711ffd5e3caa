using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Failover;

/// <summary>
/// A hook to run, captured when the status changed: the command text and the nodes' configuration in force at
/// that moment, so a reload in between changes neither.
/// </summary>
internal sealed record FailoverCommandRequest(
    FailoverCommandKind Kind,
    NodeStatusChange Change,
    string Template,
    IReadOnlyList<BackendConfig> Backends)
{
    /// <summary>The configuration key the command comes from, for log lines.</summary>
    public string Key => Kind == FailoverCommandKind.Failover ? "failover_command" : "failback_command";
}
