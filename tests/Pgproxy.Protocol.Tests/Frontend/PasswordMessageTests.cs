using System.Buffers.Binary;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Protocol.Tests.Frontend;

public class PasswordMessageTests
{
    [Fact]
    public void ReadPassword_OneTerminatedString()
    {
        Assert.Equal("s3cret", PasswordMessage.ReadPassword("s3cret\0"u8));
        Assert.Equal("", PasswordMessage.ReadPassword("\0"u8));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x61, 0x62 })]
    [InlineData(new byte[] { 0x61, 0, 0x62, 0 })]
    [InlineData(new byte[] { 0xff, 0xfe, 0 })]
    public void ReadPassword_Malformed_ProtocolViolation(byte[] body)
    {
        var ex = Assert.Throws<ProtocolViolationException>(() => PasswordMessage.ReadPassword(body));
        Assert.Equal(ProtocolViolationReason.MalformedMessage, ex.Reason);
    }

    [Fact]
    public void ReadSaslInitialResponse_MechanismAndData()
    {
        var (mechanism, data) = PasswordMessage.ReadSaslInitialResponse(Body("SCRAM-SHA-256", 3, "abc"u8));
        Assert.Equal("SCRAM-SHA-256", mechanism);
        Assert.Equal("abc"u8.ToArray(), data);

        var (_, none) = PasswordMessage.ReadSaslInitialResponse(Body("SCRAM-SHA-256", -1, []));
        Assert.Null(none);
    }

    [Theory]
    [InlineData(-1, 3)] // 0xFFFFFFFF with data after it (CVE-2026-6664)
    [InlineData(int.MinValue, 3)]
    [InlineData(int.MaxValue, 3)]
    [InlineData(4, 3)]
    [InlineData(2, 3)]
    [InlineData(-2, 0)]
    public void ReadSaslInitialResponse_LengthNotMatchingTheBody_ProtocolViolation(int declared, int actual)
    {
        var body = Body("SCRAM-SHA-256", declared, new byte[actual]);
        Assert.Throws<ProtocolViolationException>(() => PasswordMessage.ReadSaslInitialResponse(body));
    }

    [Theory]
    [InlineData(new byte[] { 0x53, 0x43 })] // no terminator
    [InlineData(new byte[] { 0x53, 0, 0, 0 })] // length cut short
    public void ReadSaslInitialResponse_Truncated_ProtocolViolation(byte[] body)
    {
        Assert.Throws<ProtocolViolationException>(() => PasswordMessage.ReadSaslInitialResponse(body));
    }

    private static byte[] Body(string mechanism, int declaredLength, ReadOnlySpan<byte> data)
    {
        var body = new byte[mechanism.Length + 1 + 4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(mechanism, body);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(mechanism.Length + 1), declaredLength);
        data.CopyTo(body.AsSpan(mechanism.Length + 5));
        return body;
    }
}
