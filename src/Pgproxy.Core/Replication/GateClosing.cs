namespace Pgproxy.Core.Replication;

/// <summary>What <see cref="WriteGate.CloseAsync"/> came to: the gate held closed, or why not.</summary>
internal sealed record GateClosing(WriteGate.Closure? Closure, TimeSpan Elapsed, string? Failure)
{
    public static GateClosing Closed(WriteGate.Closure closure, TimeSpan elapsed) => new(closure, elapsed, null);

    public static GateClosing TimedOut(TimeSpan timeout, int inFlight) => new(null, timeout,
        $"the write gate did not close within {timeout.TotalMilliseconds:0} ms: {inFlight} commit(s) still in flight");

    public static GateClosing Busy(TimeSpan timeout) => new(null, timeout,
        $"the write gate is held closed by another check or recovery for more than {timeout.TotalMilliseconds:0} ms");
}
