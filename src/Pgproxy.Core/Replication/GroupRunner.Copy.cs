using System.Buffers;
using Pgproxy.Core.Determinism;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class GroupRunner
{
    /// <summary>
    /// The current group's COPY went into copy-in mode on the nodes, which ignores the group's Sync: they stay
    /// unsynced until the client's next Sync, which it sends after CopyDone.
    /// </summary>
    private bool _copyAteSync;

    /// <summary>
    /// An extended-protocol COPY failed (or pgproxy failed a Flush-ended group): PostgreSQL discards what the client
    /// sends up to its next Sync. pgproxy already synced the nodes itself, so the session drops those messages.
    /// </summary>
    public bool DiscardUntilSync { get; set; }

    /// <summary>The statement whose Parse the other nodes get with main's values of the COPY's defaults.</summary>
    private PreparedStatementInfo? _copyRewriteStatement;

    private DefaultsRewrite? _copyRewrite;

    /// <summary>
    /// Main answered a COPY group with CopyInResponse (see <see cref="GroupCopyWrite"/>), which goes to the client at
    /// once: it cannot send the data without it. Only now do the others get the group (with main's values of
    /// left-out defaults), and each must reach copy-in too before any data goes out; the data streams to all, and
    /// main's answer to CopyDone is held for the comparison with the others'. False when main's COPY failed: every
    /// node was brought to a Sync here and the write ends with main's error.
    /// </summary>
    private async Task<bool> CopyGroupInAsync(NodeLink main, NodeLink[] others, bool internalTransaction,
        GroupAnalysis analysis, ReplyStop stop)
    {
        _answer.Release();
        await _clientOutput.FlushAsync();
        var appender = analysis.CopyPlan is { } plan ? _catalog.CreateCopyAppender(plan) : null;
        _copyRewriteStatement = appender is null ? null : analysis.CopyStatement;
        _copyRewrite = analysis.CopyPlan?.Statement;
        foreach (var other in others)
        {
            other.Summary.Clear();
            other.SwallowedError = null;
            SendGroup(other, isMain: false, internalTransaction, analysis);
        }

        _copyRewriteStatement = null;
        _copyRewrite = null;
        await _write.FlushOthersAsync(others);
        await AwaitOthersCopyInAsync(main, others, analysis, stop);
        await _copyIn.RelayAsync([main, .. others], main, appender);
        await FlushCopyOutcomeAsync(main, others);

        // Main's answer to CopyDone or CopyFail: CommandComplete or ErrorResponse, no ReadyForQuery.
        _write.HoldAnswer(keepUntilResult: false);
        await ReadCopyOutcomeAsync(main, forward: true);
        if (_state.Status != TransactionStatus.Idle)
        {
            _state.TransactionWrote = true;
        }

        if (!main.Summary.HasError)
        {
            _copyAteSync = true;
            return true;
        }

        _answer.Release(); // main's error is the answer
        await ReadOthersCopyOutcomeAsync(main, others);
        await EndFailedCopyAsync(main, others, internalTransaction);
        return false;
    }

    /// <summary>
    /// Each other node's answer up to its CopyInResponse. A node that refuses the COPY main started cannot be kept
    /// in step with the data that follows: it has diverged and is taken out.
    /// </summary>
    private async Task AwaitOthersCopyInAsync(NodeLink main, NodeLink[] others, GroupAnalysis analysis,
        ReplyStop stop)
    {
        var bound = _deadline.Begin(main, TimeSpan.Zero);
        try
        {
            foreach (var other in others)
            {
                if (other.Detached)
                {
                    continue;
                }

                try
                {
                    _replies.CompletionsLeft = analysis.Completions;
                    if (await _replies.ReadAsync(other, forward: false, summarize: true, stop) != ReplyEnd.CopyIn)
                    {
                        _nodes.Degenerate(other, $"it refused the COPY main started: {other.Summary}");
                    }
                }
                catch (Exception e) when (NodeFailures.IsNodeFailure(e))
                {
                    _nodes.Degenerate(other, "read failed: " + e.Message);
                }
            }
        }
        finally
        {
            bound.Dispose();
        }
    }

    /// <summary>
    /// PostgreSQL buffers the CommandComplete that answers CopyDone until a Sync or Flush (an error goes out at
    /// once); the client's Sync went by during copy-in and its next one is still to come, so each node gets a
    /// Flush, which answers nothing and changes no state.
    /// </summary>
    private async Task FlushCopyOutcomeAsync(NodeLink main, NodeLink[] others)
    {
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                other.Output.Write(FlushFrame);
            }
        }

        await _write.FlushOthersAsync(others);
        main.Output.Write(FlushFrame);
        await WritePath.FlushLinkAsync(main);
    }

    /// <summary>The others' answers to CopyDone or CopyFail: they had the data as soon as main.</summary>
    private async Task ReadOthersCopyOutcomeAsync(NodeLink main, NodeLink[] others)
    {
        using var bound = _deadline.Begin(main, TimeSpan.Zero); // the setting alone bounds them
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                await ReadCopyOutcomeAsync(other, forward: false);
            }
        }
    }

    /// <summary>Reads one node's CommandComplete or ErrorResponse that ends its copy-in.</summary>
    private async Task ReadCopyOutcomeAsync(NodeLink link, bool forward)
    {
        _replies.CompletionsLeft = 1;
        if (forward)
        {
            await _replies.ReadAsync(link, forward: true, summarize: true, ReplyStop.UntilCompletions);
            return;
        }

        try
        {
            await _replies.ReadAsync(link, forward: false, summarize: true, ReplyStop.UntilCompletions);
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e))
        {
            _nodes.Degenerate(link, "read failed: " + e.Message);
        }
    }

    /// <summary>Main refused the COPY before copy-in (no such table…): as for any refused write.</summary>
    private async Task EndRefusedCopyAsync(NodeLink main, bool internalTransaction)
    {
        if (internalTransaction)
        {
            main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            await WritePath.FlushLinkAsync(main);
            await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        }
    }

    /// <summary>
    /// The COPY failed on main (CopyFail, bad data): every node now discards messages until a Sync. pgproxy gives
    /// each its Sync at once and rolls its internal transaction back everywhere, then drops the client's messages up
    /// to the client's own Sync, as PostgreSQL would. Outside any transaction block a node that did not fail would
    /// commit what main did not: it has diverged.
    /// </summary>
    private async Task EndFailedCopyAsync(NodeLink main, NodeLink[] others, bool internalTransaction)
    {
        foreach (var other in others)
        {
            if (!other.Detached && !other.Summary.HasError && !internalTransaction
                && other.Status == TransactionStatus.Idle)
            {
                _nodes.Degenerate(other, $"its COPY succeeded where main's failed: {other.Summary}");
            }
        }

        foreach (var link in (NodeLink[])[.. others, main])
        {
            if (link.Detached)
            {
                continue;
            }

            link.Inject(SyncFrame, InjectedReply.QueryCycle);
            if (internalTransaction)
            {
                link.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            }
        }

        await _write.FlushOthersAsync(others);
        await _write.DrainOthersAsync(others);
        await WritePath.FlushLinkAsync(main);
        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        DiscardUntilSync = true;
    }

    /// <summary>
    /// The Parse a node other than main gets for a statement whose text must differ there (main's timestamp,
    /// main's values of a COPY's left-out defaults, main's outcome of an xmin check), or null when it gets the
    /// client's. <paramref name="from"/>: the group's frame from which its Bind is looked for (an xmin check).
    /// </summary>
    private byte[]? OthersParseFrame(ReadOnlySpan<byte> frame, PreparedStatementInfo info, int from)
    {
        if (_copyRewrite is { } copy && info == _copyRewriteStatement)
        {
            return OthersFrames.RewriteParseFrame(frame, [], copy, null, []);
        }

        return _replies.MainNow is { } now && info.RewritesTime
            ? OthersFrames.RewriteParseFrame(frame, info.Classification.TimeFunctions, info.Defaults, now,
                info.Classification.RestoredDefaults)
            : RowVersionParseFrame(frame, info, from);
    }
}
