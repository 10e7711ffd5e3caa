namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>
/// One client message as it goes on the wire. Startup-phase packets (StartupMessage, SSLRequest, CancelRequest)
/// have no type byte, so their length field starts at offset 0 instead of 1; the mutator needs to know which.
/// </summary>
internal sealed record WireMessage(byte[] Bytes, bool IsStartup)
{
    public int LengthOffset => IsStartup ? 0 : 1;

    public WireMessage WithBytes(byte[] bytes) => this with { Bytes = bytes };
}
