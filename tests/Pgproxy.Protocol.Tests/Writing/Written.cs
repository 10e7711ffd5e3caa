using System.Buffers;

namespace Pgproxy.Protocol.Tests.Writing;

/// <summary>Runs a writer against a fresh <see cref="ArrayBufferWriter{T}"/> and returns the bytes.</summary>
internal static class Written
{
    public static byte[] By(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The body of a typed message: everything after the 5-byte header.</summary>
    public static ReadOnlySpan<byte> Body(byte[] message) => message.AsSpan(5);
}
