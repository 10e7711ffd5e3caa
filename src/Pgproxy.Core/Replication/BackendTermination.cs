using System.Buffers;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Core.Replication;

/// <summary>Recognises a backend's FATAL 57P0x among its replies (see the session's Termination part for what it means).</summary>
internal static class BackendTermination
{
    /// <summary>
    /// The backend is ending (FATAL 57P01-57P05): its node shutting down, or only this backend terminated —
    /// the session's JudgeTerminationAsync tells which.
    /// </summary>
    public static void ThrowIfEnding(NodeLink link, in ReadOnlySequence<byte> buffer, in FrameHeader header,
        Span<byte> scratch)
    {
        if (Ending(link, ReplyReader.Body(buffer, header, scratch), buffer.Slice(0, header.TotalLength)) is { } ending)
        {
            throw ending;
        }
    }

    /// <summary>
    /// <see cref="ThrowIfEnding"/> for a reply read whole (a catalog query's): the exception to judge when
    /// <paramref name="body"/> is a FATAL 57P0x, else null.
    /// </summary>
    public static BackendTerminatedException? Ending(NodeLink link, ReadOnlySpan<byte> body,
        in ReadOnlySequence<byte> frame)
    {
        var error = ErrorResponseMessage.Parse(body);
        return error.Severity is "FATAL" or "PANIC" && error.SqlState.StartsWith("57P", StringComparison.Ordinal)
            ? new BackendTerminatedException(link, frame.ToArray(), $"{error.Message} (SQLSTATE {error.SqlState})")
            : null;
    }
}
