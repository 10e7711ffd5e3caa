using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A harness with insert_lock on, whose table has a sequence, and the statements main ran in their order:
/// insert_lock's transaction-level lock as "XLOCK", its session-level lock as "LOCK", that lock's release as
/// "UNLOCK". What reaches the nodes as catalog lookups (the lock queries among them) is not in the harness's own
/// log of sent frames.
/// </summary>
internal sealed class MainStatementLog
{
    private readonly List<string> _ran = [];

    public MainStatementLog()
    {
        Harness = new ReplicationHarness(configure: o => o with { InsertLock = true });
        Harness.Node(0).On(s =>
        {
            lock (_ran)
            {
                _ran.Add(Label(s.Sql));
            }

            return false;
        }, NodeReply.Empty());
        Harness.Node(0).On(s => s.Sql.Contains("pg_catalog.pg_attribute", StringComparison.Ordinal),
            NodeReply.Values("1"));
        Harness.Node(0).On(s => s.Sql.Contains("pg_advisory_lock(", StringComparison.Ordinal),
            NodeReply.Values("16391")); // the table's OID, which the release names
    }

    public ReplicationHarness Harness { get; }

    /// <summary>What main ran among <paramref name="kept"/> and the lock statements, in order.</summary>
    public List<string> Ran(params string[] kept)
    {
        lock (_ran)
        {
            return [.. _ran.Where(s => s is "LOCK" or "UNLOCK" or "XLOCK" || kept.Contains(s))];
        }
    }

    private static string Label(string sql) =>
        sql.Contains("pg_advisory_lock(", StringComparison.Ordinal) ? "LOCK"
        : sql.Contains("pg_advisory_unlock(", StringComparison.Ordinal) ? "UNLOCK"
        : sql.Contains("pg_advisory_xact_lock(", StringComparison.Ordinal) ? "XLOCK"
        : sql;
}
