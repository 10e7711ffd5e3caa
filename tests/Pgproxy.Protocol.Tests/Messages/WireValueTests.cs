using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Tests.Messages;

/// <summary>Pins wire constants that the rest of the code relies on, against the protocol documentation.</summary>
public class WireValueTests
{
    [Fact]
    public void StartupCodes_MatchProtocolDocumentation()
    {
        Assert.Equal((1234 << 16) | 5678, StartupPacket.CancelRequestCode);
        Assert.Equal((1234 << 16) | 5679, StartupPacket.SslRequestCode);
        Assert.Equal((1234 << 16) | 5680, StartupPacket.GssEncRequestCode);
        Assert.Equal(3 << 16, StartupPacket.ProtocolVersion30);
    }

    [Fact]
    public void MessageTypes_AreWireCharacters()
    {
        Assert.Equal((byte)'Z', (byte)BackendMessageType.ReadyForQuery);
        Assert.Equal((byte)'1', (byte)BackendMessageType.ParseComplete);
        Assert.Equal((byte)'W', (byte)BackendMessageType.CopyBothResponse);
        Assert.Equal((byte)'E', (byte)TransactionStatus.Failed);
        Assert.Equal((byte)'X', FrontendMessageType.Terminate);
        Assert.Equal(0x3FFFFFFF, MessageLimits.LargeMessageMax);
    }
}
