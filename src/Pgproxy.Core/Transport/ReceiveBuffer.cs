using System.Buffers;

namespace Pgproxy.Core.Transport;

/// <summary>
/// The receive buffer of a socket <see cref="System.IO.Pipelines.PipeReader"/>: one pooled array holding the
/// unconsumed bytes, with PipeReader's consumed/examined bookkeeping. It grows only when a reader waits for a
/// message bigger than it (pgproxy streams big messages, so that is rare) and gives a grown array back once it
/// empties, so a big message does not pin memory for the connection's lifetime.
/// </summary>
internal sealed class ReceiveBuffer
{
    private const int InitialSize = 8192;
    private const int MaxKeptSize = 64 * 1024;

    private byte[] _array = [];
    private int _start;
    private int _end;
    private int _examined;

    /// <summary>True when bytes arrived that the reader has not examined yet.</summary>
    public bool HasUnexamined => _end > _examined;

    /// <summary>The free space after the data; call <see cref="MakeRoom"/> first.</summary>
    public Memory<byte> Free => _array.AsMemory(_end);

    public ReadOnlySequence<byte> Data => new(_array, _start, _end - _start);

    /// <summary>Records <paramref name="count"/> bytes received into <see cref="Free"/>.</summary>
    public void Produced(int count) => _end += count;

    /// <summary>Makes space after the data: rent, slide the data to the front, or grow when it fills everything.</summary>
    public void MakeRoom()
    {
        if (_array.Length == 0)
        {
            _array = BufferArrays.Rent(InitialSize);
            return;
        }

        if (_end < _array.Length)
        {
            return;
        }

        var length = _end - _start;
        var target = length == _array.Length ? BufferArrays.Rent(_array.Length * 2) : _array;
        Buffer.BlockCopy(_array, _start, target, 0, length);
        if (!ReferenceEquals(target, _array))
        {
            BufferArrays.Return(_array);
            _array = target;
        }

        _examined -= _start;
        _start = 0;
        _end = length;
    }

    public void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var consumedIndex = IndexOf(consumed);
        var examinedIndex = IndexOf(examined);
        if (consumedIndex < _start || consumedIndex > _end || examinedIndex < consumedIndex || examinedIndex > _end)
        {
            throw new InvalidOperationException("AdvanceTo was given a position outside the last read's buffer");
        }

        _start = consumedIndex;
        _examined = examinedIndex;
        if (_start == _end)
        {
            _start = _end = _examined = 0;
            if (_array.Length > MaxKeptSize)
            {
                Release();
            }
        }
    }

    /// <summary>Gives the array back to the pool (the reader completed, or the array had grown big).</summary>
    public void Release()
    {
        if (_array.Length > 0)
        {
            BufferArrays.Return(_array);
            _array = [];
        }

        _start = _end = _examined = 0;
    }

    private int IndexOf(SequencePosition position)
    {
        if (position.GetObject() is { } array && !ReferenceEquals(array, _array))
        {
            throw new InvalidOperationException("AdvanceTo was given a position from another buffer");
        }

        return position.GetInteger() & int.MaxValue;
    }
}
