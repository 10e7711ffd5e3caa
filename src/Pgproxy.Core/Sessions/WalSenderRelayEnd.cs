namespace Pgproxy.Core.Sessions;

/// <summary>How a relayed replication connection ended; decides what, if anything, the client is told.</summary>
internal enum WalSenderRelayEnd
{
    /// <summary>The client closed (or its socket failed): nobody is left to tell.</summary>
    ClientLeft,

    /// <summary>The session stopped the relay (shutdown): the client is told why.</summary>
    Stopped,

    /// <summary>The session stopped the relay while the client was in the middle of a message: nothing can follow.</summary>
    StoppedMidMessage,

    /// <summary>The node closed right after an ErrorResponse of its own: the client already knows why.</summary>
    BackendExplained,

    /// <summary>The node closed or failed between messages: pgproxy sends a FATAL that says so.</summary>
    BackendLost,

    /// <summary>The node went away in the middle of a message: anything sent now would be read as its rest.</summary>
    BackendLostMidMessage,
}
