namespace Pgproxy.Core.Replication;

/// <summary>Why <see cref="ReplicationSession"/> stopped reading a node's replies.</summary>
internal enum ReplyEnd : byte
{
    /// <summary>A ReadyForQuery that answers the client's request (not forwarded: the caller decides).</summary>
    Ready,

    /// <summary>The node entered COPY FROM STDIN and waits for data.</summary>
    CopyIn,

    /// <summary>Every injected reply was swallowed and nothing else was expected.</summary>
    Drained,

    /// <summary>A Flush-ended group got all its completion messages (or an error ended it).</summary>
    Completed,
}
