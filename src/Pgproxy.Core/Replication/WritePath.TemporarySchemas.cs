using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>The session's backends have their temporary schemas on every node (see PrepareTemporarySchemasAsync).</summary>
    private bool _temporarySchemasReady;

    /// <summary>
    /// Before the session's first temporary object, run in its own autocommit write: creates and drops a temporary
    /// table on every node, then brings the OID counters level again. A backend's first temporary object creates
    /// its slot's <c>pg_temp_N</c> and <c>pg_toast_temp_N</c> unless an earlier backend in that slot did, and slots
    /// differ per node, so the client's own <c>CREATE TEMP TABLE</c> drew two OIDs more on some nodes and its table
    /// got another OID there: a catalog read by OID from another session balanced to such a node found nothing
    /// (Npgsql's KeyInfo schema query runs on a connection of its own: ReaderOldSchemaTests.BaseColumnName).
    /// Only where every link is idle outside a transaction, so the injected statement can disturb nothing; a failure
    /// (no TEMP privilege) is swallowed, and the client's statement then fails as it would.
    /// </summary>
    private async Task PrepareTemporarySchemasAsync(NodeLink main, IFannedWrite write)
    {
        if (_temporarySchemasReady || !write.InternalTransaction || !TwoPhase.UsesTemporaryObjects || OthersOwe
            || _links.All.Any(l => SessionLinks.IsLive(l) && l.Status != TransactionStatus.Idle))
        {
            return;
        }

        _temporarySchemasReady = true;
        var others = _links.OthersArray(main);
        foreach (var link in (NodeLink[])[main, .. others])
        {
            link.Inject(InjectedQueries.TemporarySchema, InjectedReply.QueryCycle);
            await FlushLinkAsync(link);
        }

        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        await DrainOthersAsync(others);
        await _catalogWrites.AlignAsync();
    }
}
