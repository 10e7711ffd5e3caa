using System.Buffers;
using System.Buffers.Binary;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Main's answer to a statement, held back while the others' answers can still fail that statement (DESIGN §3.4:
/// one answer per statement, never main's tag followed by an error). What is held goes to the client when the
/// statement stands (<see cref="Release"/>); when it fails, what answered Parse, Bind and Describe still goes and
/// the result is dropped (<see cref="DropResult"/>), so the error pgproxy writes next takes the result's place. An
/// error from ending the transaction follows the result instead (<see cref="ReleaseBeforeCommitError"/>), as PostgreSQL's does.
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

    /// <summary>Held for the simple protocol (a Query), where PostgreSQL commits before the last CommandComplete.</summary>
    private bool _simple;

    /// <summary>Where in <see cref="_held"/> the last CommandComplete starts (-1: none).</summary>
    private int _lastCompletionStart = -1;

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
        _simple = !keepUntilResult;
        _lastCompletionStart = -1;
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

        if ((BackendMessageType)type == BackendMessageType.CommandComplete)
        {
            _lastCompletionStart = _held.WrittenCount;
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

    /// <summary>
    /// Passes on what is held ahead of an error from ending the statement's transaction (a deferred constraint at
    /// the implicit commit): the statement ran, and PostgreSQL sends its result before that error too. Only a Query's
    /// last CommandComplete is dropped, as PostgreSQL commits a Query string before its last tag (an extended
    /// Execute's tag precedes the commit at Sync and goes).
    /// </summary>
    public void ReleaseBeforeCommitError()
    {
        if (!IsHolding)
        {
            return;
        }

        IsHolding = false;
        var held = _held.WrittenSpan;
        if (_simple && _lastCompletionStart >= 0)
        {
            var end = _lastCompletionStart + 1 + BinaryPrimitives.ReadInt32BigEndian(held[(_lastCompletionStart + 1)..]);
            client.Write(held[.._lastCompletionStart]);
            client.Write(held[end..]);
        }
        else
        {
            client.Write(held);
        }

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
