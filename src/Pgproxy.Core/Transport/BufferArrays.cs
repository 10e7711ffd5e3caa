using System.Buffers;

namespace Pgproxy.Core.Transport;

/// <summary>
/// Where the socket buffers get their arrays. Up to <see cref="MaxPooledLength"/> from the shared ArrayPool, as
/// before; anything bigger (a buffer grown for a multi-MiB Query or DataRow) is allocated for the occasion and,
/// when given back, dropped and reported to <see cref="MemoryReclaimer"/>. The shared pool keeps every array
/// returned to it until a gen-2 collection trims it, and an idle proxy collects nothing: one 20 MiB query left
/// about 130 MiB of 2–32 MiB arrays pooled (receive buffer doublings plus one send buffer per node) for good.
/// </summary>
internal static class BufferArrays
{
    /// <summary>
    /// Largest array that goes back to the shared pool: well above the 8 KiB receive buffers and the flushes of a
    /// busy session, so the hot path is pooled as before; rare enough above it that a fresh array costs nothing.
    /// </summary>
    public const int MaxPooledLength = 1024 * 1024;

    public static byte[] Rent(int minimumLength) => minimumLength <= MaxPooledLength
        ? ArrayPool<byte>.Shared.Rent(minimumLength)
        : GC.AllocateUninitializedArray<byte>(RoundUp(minimumLength));

    public static void Return(byte[] array)
    {
        if (array.Length <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else
        {
            MemoryReclaimer.LargeBufferReleased();
        }
    }

    /// <summary>Whole MiB, so buffers that double keep doing so from round sizes.</summary>
    private static int RoundUp(int length) =>
        length > Array.MaxLength - (1 << 20) ? Array.MaxLength : (length + (1 << 20) - 1) & ~((1 << 20) - 1);
}
