using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>
    /// The write path (DESIGN §3), for every protocol. Main runs the write first — inside an internal transaction
    /// whose BEGIN travels in the same network write when the client is not in one — and its answer goes to the
    /// client (held while the others can still fail it). Only then do the other nodes get it, all at once, so
    /// conflicting writers have already queued on main's locks and reach the others in main's order. The answers
    /// are compared before anything commits; then the internal transaction ends others first, main last
    /// (<see cref="EndInternalTransactionAsync"/>), and the client hears back once every node has committed.
    /// Inside the client's transaction a write's other answers may be owed instead (<see cref="Defer"/>): main and
    /// the others then run back to back, and the comparison comes at a later statement.
    /// </summary>
    public async Task RunAsync(NodeLink main, IFannedWrite write, IRequestHost host)
    {
        // DDL from every session reaches every node in one order, so each numbers its OIDs alike.
        using var turn = await _catalogWrites.EnterAsync(write.ChangesFunctions, autocommit: write.InternalTransaction);
        if (turn.Held)
        {
            await PrepareTemporarySchemasAsync(main, write);
        }

        var numbering = new OidNumbering(turn.Aligned && write.InternalTransaction && write.MayRunAgain
                                         && !_oidDrawRefused);
        var raceRun = 1;
        while (await RunOnceAsync(main, write, host, numbering, raceRun) is var rerun && rerun != Rerun.No)
        {
            if (rerun is Rerun.RowCounts or Rerun.Serialization)
            {
                raceRun++;
                await AwaitCommitsInFlightAsync();
            }
            else
            {
                numbering.RunAgain(await _catalogWrites.AlignAsync());
            }
        }

        ForgetInternalBegin();
    }

    /// <summary>Why a write that was rolled back on every node, its answer dropped unseen, runs again.</summary>
    private enum Rerun
    {
        No,

        /// <summary>Its nodes numbered its objects apart (<see cref="OidNumbering"/>).</summary>
        NumberedApart,

        /// <summary>Its nodes affected different numbers of rows (<see cref="RowCountsDiffer"/>).</summary>
        RowCounts,

        /// <summary>Its shared snapshot met a row changed since (<see cref="SerializationFailed"/>).</summary>
        Serialization,
    }

    /// <summary>
    /// One run of the write, and whether it runs again; <paramref name="raceRun"/> counts its runs so far for a race
    /// with a commit (differing row counts, a 40001 of its shared snapshot), this one included.
    /// </summary>
    private async Task<Rerun> RunOnceAsync(NodeLink main, IFannedWrite write, IRequestHost host, OidNumbering numbering,
        int raceRun)
    {
        var internalTransaction = write.InternalTransaction;
        _replies.Capture.Take(); // an earlier write that failed half way leaves no answer watched (large objects)
        ForgetInternalBegin();
        if (internalTransaction && write.SharesSnapshot && _links.OthersArray(main).Length > 0
            && await ShareWriteSnapshotAsync() is { } failed)
        {
            await host.RefuseAsync(failed.SqlState, failed.Message, writeReady: write.EndsRequest);
            return Rerun.No;
        }

        main.LockedTableOid = null; // set again only if this write takes insert_lock's lock (SequenceLevel)
        main.LockOutlivesError = false;
        main.LockReleasedEarly = false;
        ReplyEnd end;
        TimeSpan mainTime;
        NodeLink[] others;
        long answerStart;
        using (await EnterWriteOnMainAsync()) // until main has drawn whatever the write draws (a recovery's cutover waits)
        {
            write.SendTo(main, isMain: true);
            main.Summary.Clear();
            main.SwallowedError = null;
            var mainStarted = _time.GetTimestamp();
            await write.FlushMainAsync(main);
            answerStart = _replies.ForwardedBytes;
            if (internalTransaction || _state.Status != TransactionStatus.InTransaction || OthersOwe || !write.MayDefer)
            {
                // Unless it will be deferred (and so compared only at a later statement), the others' answers can
                // still fail this write: the client must not have main's yet (nor for a Flush-ended group).
                HoldAnswer(write.KeepsAnswerUntilResult);
            }

            end = await write.ReadMainAsync(main);
            mainTime = _time.GetElapsedTime(mainStarted);
            others = write.Others(main, end);
            if (end == ReplyEnd.CopyIn)
            {
                if (!await write.CopyInAsync(main, others))
                {
                    return Rerun.No;
                }

                // The others had the data as soon as main: they get the setting alone from here.
                mainTime = TimeSpan.Zero;
            }
        }

        if (end != ReplyEnd.CopyIn)
        {
            if (write.MainRefused(main))
            {
                if (SerializationFailed([main], raceRun))
                {
                    return await RunAgainForSerializationAsync(main, others, raceRun);
                }

                await LevelSequencesAfterMainTimingAsync(write, main, others);
                if (await write.ReplayRefusedAsync(main, others, mainTime))
                {
                    FinishIfEnds(write, host, main);
                }

                return Rerun.No;
            }

            if (!await SendToOthersAsync(write, host, main, others, answerStart, mainTime))
            {
                return Rerun.No;
            }
        }

        await write.ReadOthersAsync(main, others, mainTime);
        return await EndAsync(write, host, main, others, numbering, raceRun);
    }

    /// <summary>
    /// Sends the write to the others once main has answered it; false when the request ended here: the owed answers
    /// of earlier statements diverged, or the write was deferred (its answers owed, the client already answered).
    /// </summary>
    private async Task<bool> SendToOthersAsync(IFannedWrite write, IRequestHost host, NodeLink main,
        NodeLink[] others, long answerStart, TimeSpan mainTime)
    {
        var deferred = write.MayDefer && !write.InternalTransaction
                                      && main.Status == TransactionStatus.InTransaction
                                      && _state.Status == TransactionStatus.InTransaction;
        var passes = deferred && write.IsPlainDml && WithinOwedLimits(others, _replies.ForwardedBytes - answerStart);
        if (!passes && await host.SettleOrRaiseAsync(writeReady: write.EndsRequest))
        {
            return false;
        }

        if (deferred)
        {
            _answer.Release(); // compared at a later statement, which that comparison fails if it must
        }

        foreach (var other in others)
        {
            other.Summary.Clear();
            other.SwallowedError = null;
            other.Scripting = passes; // held back: its Query joins the node's script (HeldScript)
            try
            {
                write.SendTo(other, isMain: false);
            }
            finally
            {
                other.Scripting = false;
            }
        }

        await write.FlushOthersAsync(others, deferred, passes);
        if (!deferred)
        {
            return true;
        }

        // Inside the client's transaction nothing commits before its COMMIT: the others' answers are read and
        // compared later (SettleAsync), while the client already goes on with main's.
        Defer(main, others, _replies.ForwardedBytes - answerStart, mainTime);
        if (write.ChangesFunctions)
        {
            _catalog.ForgetFunctions();
        }

        _state.TransactionWrote |= write.MarksWrite;
        FinishIfEnds(write, host, main);
        return false;
    }

    /// <summary>
    /// The others have answered: compares them with main, ends the internal transaction (committing only when they
    /// agree) or, inside the client's transaction, fails it on every node alike when they do not. Says why when the
    /// internal transaction was rolled back instead, for the write to run again.
    /// </summary>
    private async Task<Rerun> EndAsync(IFannedWrite write, IRequestHost host, NodeLink main, NodeLink[] others,
        OidNumbering numbering, int raceRun)
    {
        if (write.InternalTransaction && RowCountsDiffer(write, main, others, raceRun))
        {
            await RollBackToRunAgainAsync(main, others);
            return Rerun.RowCounts;
        }

        if (write.InternalTransaction && SerializationFailed(others, raceRun))
        {
            return await RunAgainForSerializationAsync(main, others, raceRun);
        }

        var mismatch = CompareWithMain(main, others);
        await LevelSequencesAfterTimingAsync(write, main, others, mismatch);
        if (write.ChangesFunctions)
        {
            _catalog.ForgetFunctions();
        }

        if (write.InternalTransaction)
        {
            if (mismatch is null && numbering.Checks && _answer.IsHolding
                && await NumberedApartAsync(main, others, numbering))
            {
                await RollBackToRunAgainAsync(main, others);
                return Rerun.NumberedApart;
            }

            await EndInternalTransactionAsync(main, others, commit: mismatch is null);
            if (mismatch is not null)
            {
                AnswerWithError(mismatch.SqlState, mismatch.Message);
            }
        }
        else if (mismatch is not null && (!write.EndsRequest || _state.Status != TransactionStatus.Idle
                                          || main.Status != TransactionStatus.Idle))
        {
            // Inside the client's transaction: fail it on every node alike, so no node can commit it. A request
            // that does not end here (a Flush-ended group, a COPY's whose Sync came early) gets its ReadyForQuery
            // after the client's next Sync, up to which what it sends is skipped, as PostgreSQL does after an error;
            // until then no node has said whether it is in a transaction, and a node that failed listens for a Sync.
            if (!write.EndsRequest)
            {
                await FailUnsyncedGroupAsync(main, others);
            }

            await host.FailRequestAsync(mismatch.SqlState, mismatch.Message, writeReady: write.EndsRequest);
            return Rerun.No;
        }

        _answer.Release();
        if (write.MarksWrite && _state.Status != TransactionStatus.Idle)
        {
            _state.TransactionWrote = true;
        }

        FinishIfEnds(write, host, main);
        return Rerun.No;
    }

    /// <summary>Rolls the internal transaction back on every node and drops main's held answer, unseen.</summary>
    private async Task RollBackToRunAgainAsync(NodeLink main, NodeLink[] others)
    {
        await EndInternalTransactionAsync(main, others, commit: false);
        _answer.Discard();
        TwoPhase.ForgetXid();
    }

    private static void FinishIfEnds(IFannedWrite write, IRequestHost host, NodeLink main)
    {
        if (write.EndsRequest)
        {
            host.FinishRequest(main);
        }
    }
}
