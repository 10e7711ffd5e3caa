using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Metrics;

/// <summary>Names and mapping of <see cref="StatementClass"/>.</summary>
internal static class StatementClasses
{
    public const int Count = 4;

    /// <summary>The label values in the metrics, indexed by class.</summary>
    public static readonly string[] Labels = ["read", "write", "transaction", "session_state"];

    public static StatementClass Of(StatementKind kind) => kind switch
    {
        StatementKind.Read => StatementClass.Read,
        StatementKind.Begin or StatementKind.Commit or StatementKind.Rollback => StatementClass.Transaction,
        StatementKind.SessionState => StatementClass.SessionState,
        _ => StatementClass.Write,
    };
}
