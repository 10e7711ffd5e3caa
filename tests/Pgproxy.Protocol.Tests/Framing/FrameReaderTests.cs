using System.Buffers;
using Pgproxy.Protocol.Framing;
using Pgproxy.TestUtilities;

namespace Pgproxy.Protocol.Tests.Framing;

public class FrameReaderTests
{
    // 'Q', length 13 (4 + "SELECT 1" + NUL), then the start of the next message.
    private static readonly byte[] QueryThenMore =
        new WireBytes().Byte('Q').Int32(13).CString("SELECT 1").Byte('S').ToArray();

    [Fact]
    public void TryReadHeader_EveryShapeOfSequence_ReadsTypeAndLength()
    {
        foreach (ReadOnlySequence<byte> sequence in ReadOnlySequenceFactory.AllShapes(QueryThenMore))
        {
            Assert.True(FrameReader.TryReadHeader(sequence, out FrameHeader header));
            Assert.Equal((byte)'Q', header.Type);
            Assert.Equal(13, header.Length);
            Assert.Equal(14, header.TotalLength);
            Assert.Equal(9, header.BodyLength);
        }
    }

    [Fact]
    public void TryReadHeader_Span_ReadsTypeAndLength()
    {
        Assert.True(FrameReader.TryReadHeader(QueryThenMore.AsSpan(), out FrameHeader header));
        Assert.Equal(new FrameHeader((byte)'Q', 13), header);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void TryReadHeader_FewerThanFiveBytes_ReturnsFalse(int available)
    {
        byte[] data = QueryThenMore[..available];
        foreach (ReadOnlySequence<byte> sequence in ReadOnlySequenceFactory.AllShapes(data))
        {
            Assert.False(FrameReader.TryReadHeader(sequence, out _));
        }

        Assert.False(FrameReader.TryReadHeader(data.AsSpan(), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void TryReadHeader_LengthBelowFour_ThrowsLengthTooSmall(int length)
    {
        byte[] data = new WireBytes().Byte('Q').Int32(length).ToArray();
        foreach (ReadOnlySequence<byte> sequence in ReadOnlySequenceFactory.AllShapes(data))
        {
            var ex = Assert.Throws<ProtocolViolationException>(() => FrameReader.TryReadHeader(sequence, out _));
            Assert.Equal(ProtocolViolationReason.LengthTooSmall, ex.Reason);
            Assert.StartsWith("invalid message length", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData('S', 10001, ProtocolViolationReason.MessageTooLarge)]
    [InlineData('D', 0x7fffffff, ProtocolViolationReason.MessageTooLarge)]
    [InlineData('X', 10001, ProtocolViolationReason.MessageTooLarge)]
    [InlineData('Q', 0x40000000, ProtocolViolationReason.MessageTooLarge)]
    [InlineData('d', 0x7fffffff, ProtocolViolationReason.MessageTooLarge)]
    [InlineData('x', 4, ProtocolViolationReason.UnknownMessageType)]
    [InlineData('Z', 5, ProtocolViolationReason.UnknownMessageType)]
    [InlineData('\0', 4, ProtocolViolationReason.UnknownMessageType)]
    [InlineData('p', 10, ProtocolViolationReason.UnknownMessageType)]
    [InlineData('X', 5, ProtocolViolationReason.MalformedMessage)]
    [InlineData('S', 8, ProtocolViolationReason.MalformedMessage)]
    [InlineData('H', 5, ProtocolViolationReason.MalformedMessage)]
    [InlineData('c', 100, ProtocolViolationReason.MalformedMessage)]
    public void ValidateFrontend_BadHeader_ThrowsReason(char type, int length, ProtocolViolationReason reason)
    {
        var header = new FrameHeader((byte)type, length);
        var ex = Assert.Throws<ProtocolViolationException>(() => FrameReader.ValidateFrontend(header));
        Assert.Equal(reason, ex.Reason);
    }

    [Fact]
    public void ValidateFrontend_UnknownType_MessageNamesTheTypeLikePostgres()
    {
        var ex = Assert.Throws<ProtocolViolationException>(
            () => FrameReader.ValidateFrontend(new FrameHeader((byte)'x', 4)));
        Assert.Equal("invalid frontend message type 120", ex.Message);
    }

    [Theory]
    [InlineData('Q', 0x3FFFFFFF)]
    [InlineData('P', 0x3FFFFFFF)]
    [InlineData('B', 0x3FFFFFFF)]
    [InlineData('d', 0x3FFFFFFF)]
    [InlineData('F', 0x3FFFFFFF)]
    [InlineData('D', 10000)]
    [InlineData('E', 10000)]
    [InlineData('C', 10000)]
    [InlineData('f', 10000)]
    [InlineData('X', 4)]
    [InlineData('S', 4)]
    [InlineData('H', 4)]
    [InlineData('c', 4)]
    public void ValidateFrontend_LegalHeader_ReturnsItUnchanged(char type, int length)
    {
        var header = new FrameHeader((byte)type, length);
        Assert.Equal(header, FrameReader.ValidateFrontend(header));
    }

    [Fact]
    public void ValidateFrontend_PasswordDuringAuthentication_AllowsUpToAuthTokenLimit()
    {
        var largest = new FrameHeader((byte)'p', 65535 + 4);
        Assert.Equal(largest, FrameReader.ValidateFrontend(largest, duringAuthentication: true));

        var ex = Assert.Throws<ProtocolViolationException>(
            () => FrameReader.ValidateFrontend(new FrameHeader((byte)'p', 65535 + 5), duringAuthentication: true));
        Assert.Equal(ProtocolViolationReason.MessageTooLarge, ex.Reason);
    }

    [Theory]
    [InlineData('Q', MessageLimits.LargeMessageMax)]
    [InlineData('S', MessageLimits.SmallMessageMax)]
    [InlineData('p', 65539)]
    [InlineData('x', -1)]
    [InlineData('Z', -1)]
    public void MaxFrontendLength_Type_ReturnsLimitOrMinusOne(char type, int expected)
    {
        Assert.Equal(expected, MessageLimits.MaxFrontendLength((byte)type));
    }
}
