using System.Buffers;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// One session's backend on a node that stays up was ended with FATAL 57P0x (<c>pg_terminate_backend</c> from
/// another session, <c>idle_session_timeout</c>, its database dropped): that session's loss, not the node's. It is
/// deliberately no <see cref="IOException"/>, so none of the session's node-failure handlers (which take the node
/// out for every session) catch it: it ends the session, and the client gets <see cref="ErrorFrame"/>, PostgreSQL's
/// own FATAL, as it would directly.
/// </summary>
internal sealed class BackendTerminatedException(NodeLink link, byte[] errorFrame, string message)
    : Exception(message)
{
    public NodeLink Link { get; } = link;

    /// <summary>The node's whole ErrorResponse message, to pass on to the client unchanged.</summary>
    public byte[] ErrorFrame { get; } = errorFrame;

    /// <summary>
    /// pgproxy ending the session itself, as PostgreSQL's administrator shutdown would (FATAL 57P01 with
    /// <paramref name="message"/>): it can no longer write where it must (a node came up it has no link to).
    /// </summary>
    public static BackendTerminatedException EndedByPgproxy(NodeLink link, string message)
    {
        var frame = new ArrayBufferWriter<byte>();
        BackendMessageWriter.WriteErrorResponse(frame, "FATAL", SqlState.AdminShutdown, message);
        return new BackendTerminatedException(link, frame.WrittenSpan.ToArray(), message);
    }
}
