using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A REPEATABLE READ or SERIALIZABLE transaction whose BEGIN comes in the group of its first query, as pgjdbc sends
/// it (Parse/Bind/Execute of BEGIN, then of the query, one Sync). Run as it comes, main took the snapshot at once and
/// the others only once main had answered: a commit landing in between — or while a node waited for a lock at that
/// query's Parse — was in one snapshot and not the other, and a later write that reads wrote different rows there.
/// So pgproxy opens the transaction itself first, with the group's own BEGIN, and takes its snapshot on every node
/// behind the write gate (WritePath.ShareSnapshotAsync), as for a BEGIN sent alone; the group then runs as sent, its
/// BEGIN finding the transaction open. PostgreSQL warns about that BEGIN (25001): main's warning is dropped, so the
/// client sees what it would have seen. Not for READ ONLY transactions (named, or by default_transaction_read_only),
/// which write nothing the nodes must agree on.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>
    /// Opens the strict transaction the group's leading BEGIN asks for, with its snapshot taken on every node; true
    /// when the group was refused instead (40001, the gate could not be closed, or an owed answer diverged).
    /// </summary>
    private async ValueTask<bool> OpenStrictTransactionOrRefuseAsync(GroupAnalysis analysis, bool sync)
    {
        if (analysis.LeadingBegin is not { } begin || analysis.EndsTransaction || analysis.Completions < 2
            || _state.UnsyncedMask != 0 || !_nodes.HasLiveOthers)
        {
            return false;
        }

        var flags = begin.Classification.Flags;
        if (PlainBeginText(begin) is not { } text)
        {
            return false;
        }

        var (strict, readOnly) = await TransactionModesAsync(flags.HasFlag(StatementFlags.StrictIsolation),
            flags.HasFlag(StatementFlags.NamesIsolationLevel), TransactionModes.NamedAccess(text));
        if (!strict || readOnly)
        {
            return false;
        }

        _nodes.DeferBegin(InjectedQueries.Encode(System.Text.Encoding.UTF8.GetString(text)));
        if (await ShareSnapshotOrRefuseAsync(sync))
        {
            foreach (var link in _nodes.All)
            {
                link.PendingBegin = null; // nothing ran: the client's transaction never opened
            }

            return true;
        }

        _state.StrictIsolation = true;
        _state.IsolationNamed = flags.HasFlag(StatementFlags.NamesIsolationLevel);
        _state.FirstQueryDone = true;
        _nodes.Main.DropsBeginWarning = true; // the others' notices never reach the client
        _beginWarningDropped = true;
        return false;
    }

    /// <summary>The BEGIN's text when it is plain (it cannot fail), else null.</summary>
    private static byte[]? PlainBeginText(PreparedStatementInfo begin)
    {
        var text = ParseMessage.Read(begin.ParseFrame.AsSpan(5)).Query;
        return TransactionModes.IsPlainBegin(text) ? text.ToArray() : null;
    }

    /// <summary>Set while a group runs whose BEGIN warning main's link drops (cleared after the group).</summary>
    private bool _beginWarningDropped;

    /// <summary>After the group: a BEGIN warning not seen (the group failed before its BEGIN ran) is not awaited.
    /// </summary>
    private void ForgetBeginWarnings()
    {
        if (!_beginWarningDropped)
        {
            return;
        }

        _beginWarningDropped = false;
        foreach (var link in _nodes.All)
        {
            link.DropsBeginWarning = false;
        }
    }
}
