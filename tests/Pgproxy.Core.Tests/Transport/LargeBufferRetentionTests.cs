using System.Buffers;
using System.Runtime.InteropServices;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Tests.Transport;

/// <summary>
/// A socket buffer grown for one large message must not leave its array in the shared ArrayPool, where it would
/// stay for as long as the proxy allocates too little to trim the pool (issue 11: 100 MB idle, 290 MB after a
/// 20 MiB query). The pool hands a returned array back to the next Rent of its size on the same thread, so
/// getting the buffer's own array back from it proves it was pooled.
/// </summary>
public sealed class LargeBufferRetentionTests
{
    private const int Large = 4 * 1024 * 1024;

    [Fact]
    public void ReceiveBuffer_GrownForALargeMessage_GivesItsArrayToNoPool()
    {
        var buffer = new ReceiveBuffer();
        buffer.MakeRoom();
        while (buffer.Data.Length < Large)
        {
            buffer.Produced(buffer.Free.Length); // the reader waits for more: the buffer fills and doubles
            buffer.MakeRoom();
        }

        Assert.True(MemoryMarshal.TryGetArray(buffer.Data.First, out var segment));
        var array = segment.Array!;
        var releasesBefore = MemoryReclaimer.Releases;

        buffer.AdvanceTo(buffer.Data.End, buffer.Data.End); // the message was consumed whole

        Assert.True(array.Length > BufferArrays.MaxPooledLength);
        AssertNotPooled(array);
        Assert.True(MemoryReclaimer.Releases > releasesBefore, "the release was not reported");
    }

    [Fact]
    public void SendBuffer_GrownForALargeMessage_GivesItsArrayToNoPool()
    {
        var buffer = new SendBuffer();
        var memory = buffer.GetMemory(Large);
        buffer.Advance(Large);
        Assert.True(MemoryMarshal.TryGetArray<byte>(memory, out var segment));
        var array = segment.Array!;

        buffer.Reset(); // flushed

        AssertNotPooled(array);
    }

    [Fact]
    public void SmallBuffers_AreStillPooled()
    {
        var buffer = new SendBuffer();
        var memory = buffer.GetMemory(100);
        Assert.True(MemoryMarshal.TryGetArray<byte>(memory, out var segment));
        buffer.Advance(100);

        buffer.Reset();

        var again = ArrayPool<byte>.Shared.Rent(segment.Array!.Length);
        ArrayPool<byte>.Shared.Return(again);
        Assert.Same(segment.Array, again);
    }

    private static void AssertNotPooled(byte[] array)
    {
        var rented = ArrayPool<byte>.Shared.Rent(array.Length);
        ArrayPool<byte>.Shared.Return(rented);
        Assert.NotSame(array, rented);
    }
}
