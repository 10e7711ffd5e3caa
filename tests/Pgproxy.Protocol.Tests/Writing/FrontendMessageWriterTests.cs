using System.Buffers;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities;

namespace Pgproxy.Protocol.Tests.Writing;

public class FrontendMessageWriterTests
{
    [Fact]
    public void WriteStartupMessage_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = [0, 0, 0, 30, 0, 3, 0, 0, .. "user\0bob\0database\0db\0\0"u8];
        byte[] actual = Written.By(w => FrontendMessageWriter.WriteStartupMessage(w, StartupPacket.ProtocolVersion30,
            [new("user", "bob"), new("database", "db")]));
        Assert.Equal(expected, actual);

        var buffer = new ReadOnlySequence<byte>(actual);
        Assert.True(StartupPacketReader.TryRead(ref buffer, out StartupPacket? packet));
        Assert.Equal(("bob", "db"), (packet!.User, packet.Database));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void WriteStartupParameters_WritesEachPairsBytesAsTheyAre()
    {
        byte[] invalidUtf8 = [0x01, 0xC3, 0x28, 0xFF, (byte)'='];
        byte[] expected = [0, 0, 0, 31, 0, 3, 0, 0, .. "user\0bob\0x"u8, .. invalidUtf8, 0, .. invalidUtf8, 0, 0];
        byte[] actual = Written.By(w => FrontendMessageWriter.WriteStartupParameters(w,
            StartupPacket.ProtocolVersion30,
            [StartupParameter.FromStrings("user", "bob"), new StartupParameter([(byte)'x', .. invalidUtf8], invalidUtf8)]));
        Assert.Equal(expected, actual);

        var buffer = new ReadOnlySequence<byte>(actual);
        Assert.True(StartupPacketReader.TryRead(ref buffer, out StartupPacket? packet));
        Assert.Equal(invalidUtf8, packet!.Parameters[1].ValueBytes.ToArray());
    }

    [Fact]
    public void StartupParameter_RefusesNul()
    {
        Assert.Throws<ArgumentException>(() => new StartupParameter("a\0b"u8.ToArray(), []));
        Assert.Throws<ArgumentException>(() => StartupParameter.FromStrings("a", "b\0c"));
    }

    [Fact]
    public void WriteQuery_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = [(byte)'Q', 0, 0, 0, 13, .. "SELECT 1\0"u8];
        byte[] actual = Written.By(w => FrontendMessageWriter.WriteQuery(w, "SELECT 1"));
        Assert.Equal(expected, actual);
        Assert.Equal("SELECT 1", QueryMessage.ReadText(Written.Body(actual)));
    }

    [Fact]
    public void WriteSyncAndTerminate_Write_GoldenBytes()
    {
        Assert.Equal([(byte)'S', 0, 0, 0, 4], Written.By(FrontendMessageWriter.WriteSync));
        Assert.Equal([(byte)'X', 0, 0, 0, 4], Written.By(FrontendMessageWriter.WriteTerminate));
    }

    [Fact]
    public void WriteCancelRequest_Writes_GoldenBytesAndRoundTrips()
    {
        // 80877102 = 0x04D2162E (1234 << 16 | 5678)
        byte[] expected = [0, 0, 0, 16, 0x04, 0xD2, 0x16, 0x2E, 0, 0, 0, 42, 0x7F, 0xFF, 0xFF, 0xFF];
        byte[] actual = Written.By(w => FrontendMessageWriter.WriteCancelRequest(w, 42, int.MaxValue));
        Assert.Equal(expected, actual);

        var buffer = new ReadOnlySequence<byte>(actual);
        Assert.True(StartupPacketReader.TryRead(ref buffer, out StartupPacket? packet));
        Assert.Equal((StartupPacketKind.CancelRequest, 42, int.MaxValue),
            (packet!.Kind, packet.CancelProcessId, packet.CancelSecretKey));
    }

    [Fact]
    public void WriteSslRequest_Writes_GoldenBytesAndRoundTrips()
    {
        // 80877103 = 0x04D2162F (1234 << 16 | 5679)
        byte[] expected = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F];
        byte[] actual = Written.By(FrontendMessageWriter.WriteSslRequest);
        Assert.Equal(expected, actual);

        var buffer = new ReadOnlySequence<byte>(actual);
        Assert.True(StartupPacketReader.TryRead(ref buffer, out StartupPacket? packet));
        Assert.Equal(StartupPacketKind.SslRequest, packet!.Kind);
    }

    [Fact]
    public void WritePasswordMessage_Writes_GoldenBytes()
    {
        byte[] expected = [(byte)'p', 0, 0, 0, 11, .. "secret\0"u8];
        Assert.Equal(expected, Written.By(w => FrontendMessageWriter.WritePasswordMessage(w, "secret")));
    }

    [Fact]
    public void WriteSaslInitialResponse_Writes_GoldenBytes()
    {
        byte[] expected = new WireBytes().Byte('p').Int32(4 + 14 + 4 + 3)
            .CString("SCRAM-SHA-256").Int32(3).Text("n,,").ToArray();
        Assert.Equal(expected, Written.By(w => FrontendMessageWriter.WriteSaslInitialResponse(w, "SCRAM-SHA-256",
            "n,,"u8)));
    }

    [Fact]
    public void WriteSaslResponse_Writes_GoldenBytes()
    {
        byte[] expected = [(byte)'p', 0, 0, 0, 7, (byte)'c', (byte)'=', (byte)'x'];
        Assert.Equal(expected, Written.By(w => FrontendMessageWriter.WriteSaslResponse(w, "c=x"u8)));
    }
}
