using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Past this size a held answer goes to the client after all: holding stays bounded, and a mismatch found
    /// after so large an answer (a big INSERT … RETURNING) then follows main's result, as it did before holding.
    /// </summary>
    private const int MaxHeldAnswerBytes = 1024 * 1024;

    /// <summary>Main's answer while it is held (see <see cref="HoldAnswer"/>).</summary>
    private ArrayBufferWriter<byte> _held = new(256);

    /// <summary>True while main's answer goes to <see cref="_held"/> instead of the client.</summary>
    private bool _holding;

    /// <summary>Where in <see cref="_held"/> the statement's result starts (-1: not yet).</summary>
    private int _heldResultStart = -1;

    /// <summary>Where the replies a node sends on to the client go: the client, or the held answer.</summary>
    private IBufferWriter<byte> AnswerSink => _holding ? _held : _client.Output;

    /// <summary>
    /// True when a difference between the others' answers and main's fails the statement instead of taking the
    /// node out (<c>replication_stop_on_mismatch</c> or <c>failover_if_affected_tuples_mismatch</c> off).
    /// </summary>
    private bool MismatchFailsStatement =>
        !_runtime.Options.FailoverIfAffectedTuplesMismatch || !_runtime.Options.ReplicationStopOnMismatch;

    /// <summary>
    /// Holds main's answer back until the others' answers are compared with it (DESIGN §3.4: one answer per
    /// statement, never main's tag followed by an error), when that comparison can still fail the statement.
    /// With <paramref name="keepUntilResult"/> (an extended group) what answers Parse, Bind and Describe still
    /// reaches the client when the statement fails; in the simple protocol the error replaces the whole answer.
    /// </summary>
    private void HoldAnswer(bool keepUntilResult)
    {
        if (!MismatchFailsStatement)
        {
            return; // a mismatch degenerates the node and the client gets main's answer: nothing to hold
        }

        _held.ResetWrittenCount();
        _holding = true;
        _heldResultStart = keepUntilResult ? -1 : 0;
    }

    /// <summary>
    /// Notes a message about to go into the held answer: the first of a statement's result marks the cut. Past
    /// <see cref="MaxHeldAnswerBytes"/> what is held goes out, and so does the rest.
    /// </summary>
    private void NoteHeld(byte type)
    {
        if (_heldResultStart < 0 && (BackendMessageType)type is BackendMessageType.DataRow
                or BackendMessageType.CommandComplete or BackendMessageType.EmptyQueryResponse
                or BackendMessageType.PortalSuspended)
        {
            _heldResultStart = _held.WrittenCount;
        }

        if (_held.WrittenCount > MaxHeldAnswerBytes)
        {
            ReleaseHeldAnswer(); // before the message is copied: it then goes to the client, after what was held
        }
    }

    /// <summary>Passes everything held on to the client: the statement stands.</summary>
    private void ReleaseHeldAnswer()
    {
        if (!_holding)
        {
            return;
        }

        _holding = false;
        _client.Output.Write(_held.WrittenSpan);
        ScratchBuffer.Reset(ref _held, 256);
    }

    /// <summary>Passes on what came before the statement's result and drops the result: the statement failed.</summary>
    private void DropHeldResult()
    {
        if (!_holding)
        {
            return;
        }

        _holding = false;
        var kept = _heldResultStart < 0 ? _held.WrittenCount : _heldResultStart;
        _client.Output.Write(_held.WrittenSpan[..kept]);
        ScratchBuffer.Reset(ref _held, 256);
    }
}
