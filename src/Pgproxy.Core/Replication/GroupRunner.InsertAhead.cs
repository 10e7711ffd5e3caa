namespace Pgproxy.Core.Replication;

/// <summary>
/// The others' run of an autocommit group up to the INSERT that took insert_lock's lock on main, before main runs
/// the rest (see ReadMainAroundLockAsync): their answers so far are kept, and the write path's own send and read of
/// the group then give them only the rest and count those answers with it.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>The others that ran the group up to <see cref="_aheadUpTo"/>, with their answers to that part.</summary>
    private readonly Dictionary<NodeLink, (ResultSummary Summary, byte[]? Error)> _othersAhead = [];

    private int _aheadUpTo;

    /// <summary>Forgets the others' part: the group runs (again) from its start.</summary>
    private void ForgetAhead()
    {
        _othersAhead.Clear();
        _aheadUpTo = 0;
    }

    /// <summary>
    /// Every live other ran the part up to the INSERT without an error: they drew what main drew, and the lock may
    /// go. After an error there (a cancel or timeout before that node drew), main keeps it to the end of the write,
    /// so that the write path levels that node's sequences before any other inserter draws.
    /// </summary>
    private bool OthersRanAheadCleanly(NodeLink[] others)
    {
        foreach (var other in others)
        {
            if (!other.Detached && (!_othersAhead.TryGetValue(other, out var ahead) || ahead.Summary.HasError))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The frame <paramref name="link"/> goes on from when it ran the group's first part, its answers to that part
    /// given back to its summary (the write path cleared it before sending); 0 when it runs the group whole.
    /// </summary>
    private int ContinueAhead(NodeLink link)
    {
        if (!_othersAhead.TryGetValue(link, out var ahead))
        {
            return 0;
        }

        link.Summary.CopyFrom(ahead.Summary);
        link.SwallowedError = ahead.Error;
        return _aheadUpTo;
    }

    /// <summary>
    /// Sends every live other the group up to frame <paramref name="upTo"/> in pgproxy's transaction, ended by a Flush,
    /// and reads their answers within main's time for it plus replication_answer_timeout. A node that fails here is
    /// taken out, as when it fails the whole group.
    /// </summary>
    private async Task SendInsertAheadAsync(NodeLink main, NodeLink[] others, GroupAnalysis analysis, int upTo,
        TimeSpan mainTime)
    {
        var live = others.Where(o => !o.Detached).ToArray();
        foreach (var other in live)
        {
            other.Summary.Clear();
            other.SwallowedError = null;
            SendGroup(other, isMain: false, internalTransaction: true, analysis, stopAt: upTo);
            WritePath.StartFlushLink(other);
        }

        var bound = _deadline.Begin(main, mainTime);
        try
        {
            foreach (var other in live)
            {
                try
                {
                    _replies.CompletionsLeft = CompletionsBefore(upTo);
                    await _replies.ReadAsync(other, forward: false, summarize: true, ReplyStop.UntilCompletions);
                    await WritePath.FinishFlushAsync(other);
                    var summary = new ResultSummary();
                    summary.CopyFrom(other.Summary);
                    _othersAhead[other] = (summary, other.SwallowedError);
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

        _aheadUpTo = upTo;
    }

    /// <summary>A statement the group runs or defines compares xmin (its text on the others depends on main's outcome).</summary>
    private bool ChecksRowVersions()
    {
        foreach (var (_, info) in _analyzer.Referenced)
        {
            if (info.Classification.RowVersionChecks.Count > 0)
            {
                return true;
            }
        }

        foreach (var frame in Group.Frames)
        {
            if (frame.Type == Protocol.Messages.FrontendMessageType.Parse && _analyzer.DefinedInfo(frame) is { } defined
                && defined.Classification.RowVersionChecks.Count > 0)
            {
                return true;
            }
        }

        return false;
    }
}
