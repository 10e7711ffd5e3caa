using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// An extended-protocol group that commits in its middle (DESIGN §3.8): Parse/Bind/Execute of BEGIN, UPDATE,
/// COMMIT, then Sync, as an Npgsql batch sends it. Run whole on main, its COMMIT released main's locks before the
/// others ran the UPDATE. Cut before and after each COMMIT and before the closing Sync, each part ended by a Flush
/// of pgproxy's own (which PostgreSQL answers with nothing), the parts run one after another: the writes main
/// first, the COMMIT on the others first, the Sync that ends the implicit transaction on the others first. The
/// client sees the same messages, as a Flush changes nothing PostgreSQL sends; after an error PostgreSQL skips to
/// the Sync, and so does the rest of the group.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>The group being run is a COMMIT part of a cut group: it ends the transaction on every node.</summary>
    private bool _partEndsTransaction;

    /// <summary>Runs the group a Sync (<paramref name="sync"/>) or Flush just ended, in parts when it commits in its middle.</summary>
    public async Task RunAsync(bool sync)
    {
        var starts = _analyzer.PartStarts();
        if (starts is null)
        {
            var before = _replies.ClientErrors;
            await RunGroupAsync(sync);
            SkipToSyncAfterError(sync, before);
            return;
        }

        if (_state.Status == TransactionStatus.InTransaction)
        {
            // The pipeline runs inside the client's block, opened before it: between its parts a query of
            // pgproxy's own (insert_lock's lock before an INSERT's part) commits nothing.
            _state.BlockInPipeline = true;
        }

        var bytes = Group.Bytes.ToArray();
        var frames = Group.Frames.ToArray();
        for (var part = 0; part < starts.Count; part++)
        {
            var last = part == starts.Count - 1;
            var end = last ? frames.Length : starts[part + 1].Start;
            Group.Clear();
            for (var i = starts[part].Start; i < end; i++)
            {
                Group.Add(new ReadOnlySequence<byte>(bytes, frames[i].Offset, frames[i].Length), frames[i].Type);
            }

            if (!last)
            {
                Group.Add(new ReadOnlySequence<byte>(FlushFrame), FrontendMessageType.Flush);
            }

            var errors = _replies.ClientErrors;
            _partEndsTransaction = starts[part].Commits;
            try
            {
                await RunGroupAsync(sync && last);
            }
            finally
            {
                _partEndsTransaction = false;
            }

            if (_replies.ClientErrors != errors && !last)
            {
                // PostgreSQL skips everything up to the Sync after an error: so does the rest of the group.
                if (sync)
                {
                    // The error's answer may have set the session to skip up to the client's Sync: this is it.
                    DiscardUntilSync = false;
                    Group.Clear();
                    Group.Add(new ReadOnlySequence<byte>(bytes, frames[^1].Offset, frames[^1].Length),
                        frames[^1].Type);
                    await RunGroupAsync(sync: true);
                }

                SkipToSyncAfterError(sync, errors);
                return;
            }

            if (last)
            {
                SkipToSyncAfterError(sync, errors);
            }
        }
    }

    /// <summary>
    /// Forgets the group once it has run, or instead of running it when the session answered it with an error of its
    /// own (as PostgreSQL answers a group whose first message fails).
    /// </summary>
    public void DropGroup()
    {
        ForgetBeginWarnings();
        _copyAteSync = false;
        ForgetAhead();
        Group.Clear();
        _analyzer.Clear();
    }

    /// <summary>
    /// After an error answered a Flush-ended group, PostgreSQL skips everything the client sends up to its Sync —
    /// the node that failed is doing so now, and would answer none of it. The session skips it too, rather than send
    /// the node messages and wait for answers that never come (a wait that would outlive the client).
    /// </summary>
    private void SkipToSyncAfterError(bool sync, long errorsBefore)
    {
        if (!sync && _replies.ClientErrors != errorsBefore)
        {
            DiscardUntilSync = true;
        }
    }

}
