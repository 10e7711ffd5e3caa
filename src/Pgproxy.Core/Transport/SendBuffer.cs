namespace Pgproxy.Core.Transport;

/// <summary>
/// The send buffer of a socket <see cref="System.IO.Pipelines.PipeWriter"/>: writes collect in one pooled array
/// until the session flushes; after a flush the array goes back to the pool, so an idle connection holds none.
/// </summary>
internal sealed class SendBuffer
{
    private const int MinimumSize = 4096;

    private byte[]? _array;

    /// <summary>Bytes written and not yet sent.</summary>
    public int Written { get; private set; }

    /// <summary>The written bytes from <paramref name="offset"/> on.</summary>
    public ReadOnlyMemory<byte> Unsent(int offset) => _array.AsMemory(offset, Written - offset);

    public Memory<byte> GetMemory(int sizeHint)
    {
        Ensure(sizeHint);
        return _array.AsMemory(Written);
    }

    public void Advance(int bytes)
    {
        if (bytes < 0 || _array is null || Written + bytes > _array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        Written += bytes;
    }

    /// <summary>Everything was sent (or can never be): forget it and give the array back.</summary>
    public void Reset()
    {
        Written = 0;
        if (_array is not null)
        {
            BufferArrays.Return(_array);
            _array = null;
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Written + Math.Max(sizeHint, 1);
        if (_array is not null && needed <= _array.Length)
        {
            return;
        }

        var bigger = BufferArrays.Rent(Math.Max(needed, Math.Max(MinimumSize, (_array?.Length ?? 0) * 2)));
        if (_array is not null)
        {
            Buffer.BlockCopy(_array, 0, bigger, 0, Written);
            BufferArrays.Return(_array);
        }

        _array = bigger;
    }
}
