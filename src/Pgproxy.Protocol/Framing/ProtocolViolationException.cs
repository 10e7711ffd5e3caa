using System.Diagnostics.CodeAnalysis;

namespace Pgproxy.Protocol.Framing;

/// <summary>
/// Thrown when a peer breaks the wire protocol. Once framing is lost nothing can be saved: the connection gets an
/// ErrorResponse with SQLSTATE 08P01 carrying <see cref="Exception.Message"/> (worded like PostgreSQL's) and closes.
/// </summary>
[SuppressMessage("Design", "CA1032:Implement standard exception constructors",
    Justification = "A violation without a reason is meaningless; the reason drives metrics and the close.")]
public sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException(ProtocolViolationReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>What was wrong, for metrics and logs.</summary>
    public ProtocolViolationReason Reason { get; }

    /// <summary>Throws a <see cref="ProtocolViolationException"/>; a separate method keeps callers' hot paths
    /// small.</summary>
    [DoesNotReturn]
    public static void Throw(ProtocolViolationReason reason, string message) =>
        throw new ProtocolViolationException(reason, message);
}
