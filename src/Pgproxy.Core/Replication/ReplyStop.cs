namespace Pgproxy.Core.Replication;

/// <summary>When <see cref="ReplicationSession"/> stops reading a node's replies.</summary>
internal enum ReplyStop : byte
{
    /// <summary>At the ReadyForQuery of the client's request (or a CopyInResponse).</summary>
    UntilReady,

    /// <summary>As soon as no injected reply is outstanding.</summary>
    UntilDrained,

    /// <summary>After the expected number of completion messages of a Flush-ended group.</summary>
    UntilCompletions,
}
