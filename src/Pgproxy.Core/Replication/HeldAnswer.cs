using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Main's answer to a statement, held back while the others' answers can still fail that statement (DESIGN §3.4:
/// one answer per statement, never main's tag followed by an error). What is held goes to the client when the
/// statement stands (<see cref="Release"/>); when it fails, what answered Parse, Bind and Describe still goes and
/// the result is dropped (<see cref="DropResult"/>), so the error pgproxy writes next takes the result's place.
/// </summary>
internal sealed class HeldAnswer(IBufferWriter<byte> client)
{
    /// <summary>
    /// Past this size a held answer goes to the client after all: holding stays bounded, and a mismatch found
    /// after so large an answer (a big INSERT … RETURNING) then follows main's result, as it did before holding.
    /// </summary>
    private const int MaxHeldAnswerBytes = 1024 * 1024;

    private ArrayBufferWriter<byte> _held = new(256);

    /// <summary>Where in <see cref="_held"/> the statement's result starts (-1: not yet).</summary>
    private int _resultStart = -1;

    /// <summary>True while main's answer is held instead of going to the client.</summary>
    public bool IsHolding { get; private set; }

    /// <summary>Where the replies a node sends on to the client go: the client, or the held answer.</summary>
    public IBufferWriter<byte> Sink => IsHolding ? _held : client;

    /// <summary>
    /// Holds from now on. With <paramref name="keepUntilResult"/> (an extended group) what answers Parse, Bind and
    /// Describe still reaches the client when the statement fails; in the simple protocol the error replaces the
    /// whole answer.
    /// </summary>
    public void Hold(bool keepUntilResult)
    {
        _held.ResetWrittenCount();
        IsHolding = true;
        _resultStart = keepUntilResult ? -1 : 0;
    }

    /// <summary>
    /// Notes a message about to go into the held answer: the first of a statement's result marks the cut. Past
    /// <see cref="MaxHeldAnswerBytes"/> what is held goes out, and so does the rest.
    /// </summary>
    public void Note(byte type)
    {
        if (_resultStart < 0 && (BackendMessageType)type is BackendMessageType.DataRow
                or BackendMessageType.CommandComplete or BackendMessageType.EmptyQueryResponse
                or BackendMessageType.PortalSuspended)
        {
            _resultStart = _held.WrittenCount;
        }

        if (_held.WrittenCount > MaxHeldAnswerBytes)
        {
            Release(); // before the message is copied: it then goes to the client, after what was held
        }
    }

    /// <summary>Passes everything held on to the client: the statement stands.</summary>
    public void Release()
    {
        if (!IsHolding)
        {
            return;
        }

        IsHolding = false;
        client.Write(_held.WrittenSpan);
        ScratchBuffer.Reset(ref _held, 256);
    }

    /// <summary>Drops everything held, unseen: the statement runs again and its new answer is the client's.</summary>
    public void Discard()
    {
        IsHolding = false;
        ScratchBuffer.Reset(ref _held, 256);
    }

    /// <summary>Passes on what came before the statement's result and drops the result: the statement failed.</summary>
    public void DropResult()
    {
        if (!IsHolding)
        {
            return;
        }

        IsHolding = false;
        var kept = _resultStart < 0 ? _held.WrittenCount : _resultStart;
        client.Write(_held.WrittenSpan[..kept]);
        ScratchBuffer.Reset(ref _held, 256);
    }
}
