using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>Where a group that commits in its middle is cut (see GroupRunner.Parts), and a plain COMMIT group.</summary>
internal sealed partial class GroupAnalyzer
{
    /// <summary>
    /// Where the parts of the group start and whether each commits, or null when the group runs whole: it has
    /// neither a COMMIT nor an INSERT that takes insert_lock's lock inside a transaction block after other
    /// statements, or nothing else executes in it. A part begins right after the Execute before its own, so the
    /// Parse and Bind of a COMMIT or INSERT go with it to the nodes that run it.
    /// </summary>
    public List<(int Start, bool Commits)>? PartStarts()
    {
        var frames = _group.Frames;
        if (frames.Count < 3 || frames[^1].Type is not (FrontendMessageType.Sync or FrontendMessageType.Flush))
        {
            return null;
        }

        var executeCount = 0;
        foreach (var frame in frames)
        {
            executeCount += frame.Type == FrontendMessageType.Execute ? 1 : 0;
        }

        if (executeCount < 2)
        {
            return null; // one statement runs whole (what a driver sends most often: no statement is looked up)
        }

        var bytes = _group.Bytes.Span;
        List<(int Start, bool Commits)> starts = [(0, false)];
        var executes = 0;
        var commits = false;
        var afterExecute = 0;
        // Inside the client's block (opened before the pipeline, or by its BEGIN below) pgproxy can take
        // insert_lock's lock between parts; it is the first INSERT's part that should begin with it.
        var lockAhead = _state.Status == TransactionStatus.InTransaction;
        var cutForLock = false;
        var insertEndsPart = false;
        for (var i = 0; i < frames.Count - 1; i++)
        {
            if (frames[i].Type != FrontendMessageType.Execute)
            {
                continue;
            }

            executes++;
            if (executes == 1 && BeginsBeforeInsert(frames, bytes, i))
            {
                // Its own part: once it has run, main is in a transaction block and may get insert_lock's lock
                // before the INSERT (sent before the BEGIN, the lock would end with its own implicit transaction).
                starts.Add((i + 1, false));
                afterExecute = i + 1;
                lockAhead = true;
                cutForLock = true;
                continue;
            }

            var executed = ExecutedAt(frames, bytes, i);
            if (insertEndsPart && executed is not { Cuts: true })
            {
                // The INSERT before this statement ends its part (a COMMIT cuts there anyway, below).
                starts.Add((afterExecute, false));
                cutForLock = true;
            }

            insertEndsPart = false;
            if (lockAhead && executed is { } statement && _catalog.MayLockInsert(statement.Classification))
            {
                lockAhead = false;
                if (afterExecute > starts[^1].Start)
                {
                    // This INSERT starts a part, so insert_lock's lock comes right before it. Taken before the
                    // part's earlier statements (an UPDATE) and held to the transaction's end, the lock was held
                    // while they waited for row locks that another transaction held while waiting for the lock:
                    // {BEGIN; UPDATE; INSERT; COMMIT} batches deadlocked with the same statements sent one by one.
                    starts.Add((afterExecute, false));
                    cutForLock = true;
                }

                // And it ends its part: its lock, session-level, is released before the next statement, once every
                // node ran the INSERT. Held on, a batch {INSERT; UPDATE} in a transaction (EF Core's SaveChanges of
                // an added and a changed entity) held it while its UPDATE waited for a row that a transaction
                // waiting for the lock held (8 clients over 10 rows: 40 done, 20 failed with 40P01 in 5 s).
                insertEndsPart = true;
            }

            if (executed is { Cuts: true })
            {
                commits = true;
                lockAhead = false; // what follows runs in an implicit transaction, where no query of pgproxy's may
                if (afterExecute > starts[^1].Start)
                {
                    starts.Add((afterExecute, true));
                }
                else
                {
                    starts[^1] = (starts[^1].Start, true);
                }

                starts.Add((i + 1, false));
            }

            afterExecute = i + 1;
        }

        if (executes < 2 || !(commits || cutForLock))
        {
            return null;
        }

        if (!commits)
        {
            return starts; // cut for insert_lock alone: the last part keeps the group's Sync or Flush
        }

        if (starts[^1].Start == frames.Count - 1)
        {
            // The group ends with its COMMIT: the closing Sync goes with it, so that the COMMIT runs as a driver's
            // plain COMMIT group does, in two phases (GroupRunner.SyncOthersInBlockAsync), and not on the others
            // first with main's COMMIT still able to fail (a cancel, a serialization failure) after they committed.
            starts.RemoveAt(starts.Count - 1);
            return starts;
        }

        // The closing Sync alone: it commits the implicit transaction the last part opened, on the others first.
        starts.Add((frames.Count - 1, false));
        return starts;
    }

    /// <summary>
    /// Where an autocommit group that writes is cut around the first INSERT that may take insert_lock's lock
    /// (GroupRunner's ReadMainAroundLockAsync): <see cref="InsertCut.Before"/> is the frame after the Execute before
    /// that INSERT (0 when it is the group's first statement), <see cref="InsertCut.After"/> the frame after its own
    /// Execute (0 when nothing executes after it). Both 0 when none may take the lock, or when a portal up to it is
    /// one pgproxy does not know.
    /// </summary>
    public InsertCut LockCut()
    {
        var frames = _group.Frames;
        var bytes = _group.Bytes.Span;
        var afterExecute = 0;
        for (var i = 0; i < frames.Count - 1; i++)
        {
            if (frames[i].Type != FrontendMessageType.Execute)
            {
                continue;
            }

            if (ExecutedAt(frames, bytes, i) is not { } executed)
            {
                return default;
            }

            if (_catalog.MayLockInsert(executed.Classification))
            {
                var executesAfter = false;
                for (var next = i + 1; next < frames.Count && !executesAfter; next++)
                {
                    executesAfter = frames[next].Type == FrontendMessageType.Execute;
                }

                return new InsertCut(afterExecute, executesAfter ? i + 1 : 0);
            }

            afterExecute = i + 1;
        }

        return default;
    }

    /// <summary>
    /// The Execute at <paramref name="index"/> runs BEGIN while the client is outside a transaction, and a later
    /// Execute of the group runs an INSERT: one that may need insert_lock's lock taken inside the transaction.
    /// </summary>
    private bool BeginsBeforeInsert(IReadOnlyList<GroupFrame> frames, ReadOnlySpan<byte> bytes, int index)
    {
        if (_state.Status != TransactionStatus.Idle || ExecutedAt(frames, bytes, index)?.Kind != StatementKind.Begin)
        {
            return false;
        }

        for (var i = index + 1; i < frames.Count; i++)
        {
            if (ExecutedAt(frames, bytes, i) is { } executed && _catalog.MayLockInsert(executed.Classification))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The statement the Execute at <paramref name="index"/> runs, and whether the group is cut after it
    /// (<see cref="CutsAt"/>): its portal is bound earlier in the group or before it, its statement parsed earlier in
    /// the group or before it. Null for another message, or a portal or statement pgproxy does not know.
    /// </summary>
    private (StatementKind Kind, StatementClassification Classification, bool Cuts)? ExecutedAt(
        IReadOnlyList<GroupFrame> frames, ReadOnlySpan<byte> bytes, int index)
    {
        if (frames[index].Type != FrontendMessageType.Execute)
        {
            return null;
        }

        var portal = ExecuteMessage.Read(Body(bytes, frames[index])).PortalName;
        for (var b = index - 1; b >= 0; b--)
        {
            if (frames[b].Type != FrontendMessageType.Bind)
            {
                continue;
            }

            var bind = BindMessage.Read(Body(bytes, frames[b]));
            if (!bind.PortalName.SequenceEqual(portal))
            {
                continue;
            }

            for (var p = b - 1; p >= 0; p--)
            {
                if (frames[p].Type != FrontendMessageType.Parse)
                {
                    continue;
                }

                var parse = ParseMessage.Read(Body(bytes, frames[p]));
                if (parse.StatementName.SequenceEqual(bind.StatementName))
                {
                    var classification = _policy.Classifications.Get(parse.Query);
                    return (classification.Kind, classification, CutsAt(classification.Kind, parse.Query));
                }
            }

            return Known(_statements.GetStatement(bind.StatementName));
        }

        return Known(_statements.GetPortal(portal));
    }

    private (StatementKind Kind, StatementClassification Classification, bool Cuts)? Known(
        PreparedStatementInfo? info) =>
        info is null
            ? null
            : (info.Kind, info.Classification, CutsAt(info.Kind, ParseMessage.Read(info.ParseFrame.AsSpan(5)).Query));

    /// <summary>
    /// A COMMIT ends the transaction on every node, the others first, so a group is cut after it. So is a ROLLBACK of
    /// a failed transaction: the nodes that did not fail get a ROLLBACK of their own while the group goes to the one
    /// that did, and what the group runs after it must go to every node again. Not the end of a failed transaction
    /// AND CHAIN, whose new transaction the others' own ROLLBACK would not open: that group still runs as one.
    /// </summary>
    private bool CutsAt(StatementKind kind, ReadOnlySpan<byte> query)
    {
        var failed = _state.Status == TransactionStatus.Failed;
        return (kind == StatementKind.Commit || (kind == StatementKind.Rollback && failed))
               && !(failed && TransactionChain.Chains(query)); // read only for the end of a failed transaction
    }

    /// <summary>
    /// The group executes one plain COMMIT and nothing else (what a driver sends to end a transaction through the
    /// extended protocol): it can commit in two phases.
    /// </summary>
    public bool IsPlainCommitGroup()
    {
        PreparedStatementInfo? commit = null;
        var bytes = _group.Bytes.Span;
        foreach (var frame in _group.Frames)
        {
            if (frame.Type != FrontendMessageType.Execute)
            {
                continue;
            }

            if (commit is not null)
            {
                return false;
            }

            commit = _statements.GetPortal(ExecuteMessage.Read(Body(bytes, frame)).PortalName);
            if (commit is null)
            {
                return false;
            }
        }

        return commit is { Kind: StatementKind.Commit } && QueryScript.IsPlainEnd(
            System.Text.Encoding.UTF8.GetString(ParseMessage.Read(commit.ParseFrame.AsSpan(5)).Query).Trim().TrimEnd(';').Trim());
    }

    private static ReadOnlySpan<byte> Body(ReadOnlySpan<byte> bytes, GroupFrame frame) =>
        bytes.Slice(frame.Offset + 5, frame.Length - 5);
}
