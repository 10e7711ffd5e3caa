using System.Buffers;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Empties a session's scratch writer. An ArrayBufferWriter only ever grows, so one 20 MiB Query would keep a
/// 32 MiB array alive for the rest of a pooled application connection's life; past
/// <see cref="MaxKeptCapacity"/> the writer is replaced by a new small one instead, and
/// <see cref="MemoryReclaimer"/> told: the collection the socket buffers asked for may have run while the
/// statement was still running and this array still in use.
/// </summary>
internal static class ScratchBuffer
{
    /// <summary>Room for any ordinary statement or extended-protocol group, kept across requests.</summary>
    public const int MaxKeptCapacity = 64 * 1024;

    public static void Reset(ref ArrayBufferWriter<byte> writer, int initialCapacity)
    {
        if (writer.Capacity > MaxKeptCapacity)
        {
            writer = new ArrayBufferWriter<byte>(initialCapacity);
            MemoryReclaimer.LargeBufferReleased();
        }
        else
        {
            writer.ResetWrittenCount();
        }
    }
}
