using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities;

namespace Pgproxy.Protocol.Tests.Writing;

public class BackendMessageWriterTests
{
    [Fact]
    public void WriteAuthenticationOk_Writes_GoldenBytes()
    {
        byte[] expected = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0];
        Assert.Equal(expected, Written.By(BackendMessageWriter.WriteAuthenticationOk));
    }

    [Fact]
    public void WriteAuthenticationCleartextPassword_Writes_GoldenBytes()
    {
        byte[] expected = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 3];
        Assert.Equal(expected, Written.By(BackendMessageWriter.WriteAuthenticationCleartextPassword));
    }

    [Fact]
    public void WriteAuthenticationMd5Password_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = [(byte)'R', 0, 0, 0, 12, 0, 0, 0, 5, 0xDE, 0xAD, 0xBE, 0xEF];
        byte[] actual = Written.By(w => BackendMessageWriter.WriteAuthenticationMd5Password(w,
            [0xDE, 0xAD, 0xBE, 0xEF]));
        Assert.Equal(expected, actual);
        Assert.Equal(AuthenticationCode.Md5Password, AuthenticationRequestMessage.ReadCode(Written.Body(actual)));
        Assert.Equal([0xDE, 0xAD, 0xBE, 0xEF], AuthenticationRequestMessage.ReadData(Written.Body(actual)).ToArray());
    }

    [Fact]
    public void WriteAuthenticationMd5Password_WrongSaltLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => Written.By(w => BackendMessageWriter.WriteAuthenticationMd5Password(w,
            [1, 2, 3])));
    }

    [Fact]
    public void WriteAuthenticationSasl_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = new WireBytes().Byte('R').Int32(4 + 4 + 14 + 19 + 1).Int32(10)
            .CString("SCRAM-SHA-256").CString("SCRAM-SHA-256-PLUS").Byte(0).ToArray();
        byte[] actual = Written.By(w => BackendMessageWriter.WriteAuthenticationSasl(w,
            ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]));
        Assert.Equal(expected, actual);
        Assert.Equal(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"],
            AuthenticationRequestMessage.ReadSaslMechanisms(Written.Body(actual)));
    }

    [Fact]
    public void WriteAuthenticationSaslContinueAndFinal_Write_GoldenBytes()
    {
        Assert.Equal([(byte)'R', 0, 0, 0, 11, 0, 0, 0, 11, (byte)'r', (byte)'=', (byte)'x'],
            Written.By(w => BackendMessageWriter.WriteAuthenticationSaslContinue(w, "r=x"u8)));
        Assert.Equal([(byte)'R', 0, 0, 0, 11, 0, 0, 0, 12, (byte)'v', (byte)'=', (byte)'y'],
            Written.By(w => BackendMessageWriter.WriteAuthenticationSaslFinal(w, "v=y"u8)));
    }

    [Fact]
    public void WriteParameterStatus_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = [(byte)'S', 0, 0, 0, 17, .. "TimeZone\0UTC\0"u8];
        byte[] actual = Written.By(w => BackendMessageWriter.WriteParameterStatus(w, "TimeZone", "UTC"));
        Assert.Equal(expected, actual);
        Assert.Equal(("TimeZone", "UTC"), ParameterStatusMessage.Read(Written.Body(actual)));
    }

    [Fact]
    public void WriteBackendKeyData_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = [(byte)'K', 0, 0, 0, 12, 0, 0, 0x30, 0x39, 0xFF, 0xFF, 0xFF, 0xFE];
        byte[] actual = Written.By(w => BackendMessageWriter.WriteBackendKeyData(w, 12345, -2));
        Assert.Equal(expected, actual);
        Assert.Equal((12345, -2), BackendKeyDataMessage.Read(Written.Body(actual)));
    }

    [Theory]
    [InlineData(TransactionStatus.Idle, 'I')]
    [InlineData(TransactionStatus.InTransaction, 'T')]
    [InlineData(TransactionStatus.Failed, 'E')]
    public void WriteReadyForQuery_Status_WritesGoldenBytesAndRoundTrips(TransactionStatus status, char wire)
    {
        byte[] actual = Written.By(w => BackendMessageWriter.WriteReadyForQuery(w, status));
        Assert.Equal([(byte)'Z', 0, 0, 0, 5, (byte)wire], actual);
        Assert.Equal(status, ReadyForQueryMessage.Read(Written.Body(actual)));
    }

    [Fact]
    public void WriteErrorResponse_AllFields_WritesGoldenBytesAndRoundTrips()
    {
        byte[] body = new WireBytes()
            .Byte('S').CString("FATAL").Byte('V').CString("FATAL").Byte('C').CString("08P01")
            .Byte('M').CString("bad").Byte('D').CString("why").Byte('H').CString("fix").Byte(0).ToArray();
        byte[] expected = new WireBytes().Byte('E').Int32(4 + body.Length).Bytes(body).ToArray();
        byte[] actual = Written.By(w => BackendMessageWriter.WriteErrorResponse(w, "FATAL", "08P01", "bad", "why",
            "fix"));
        Assert.Equal(expected, actual);

        ErrorResponseMessage parsed = ErrorResponseMessage.Parse(Written.Body(actual));
        Assert.Equal(("FATAL", "08P01", "bad", "why", "fix"),
            (parsed.Severity, parsed.SqlState, parsed.Message, parsed.Detail, parsed.Hint));
    }

    [Fact]
    public void WriteErrorResponse_NoDetailOrHint_OmitsThoseFields()
    {
        byte[] expected = new WireBytes().Byte('E').Int32(4 + 7 + 7 + 7 + 4 + 1)
            .Byte('S').CString("ERROR").Byte('V').CString("ERROR").Byte('C').CString("42601")
            .Byte('M').CString("no").Byte(0).ToArray();
        Assert.Equal(expected, Written.By(w => BackendMessageWriter.WriteErrorResponse(w, "ERROR", "42601", "no")));
    }

    [Fact]
    public void WriteNoticeResponse_Writes_GoldenBytes()
    {
        byte[] expected = new WireBytes().Byte('N').Int32(4 + 8 + 8 + 7 + 4 + 4 + 1)
            .Byte('S').CString("NOTICE").Byte('V').CString("NOTICE").Byte('C').CString("00000")
            .Byte('M').CString("hi").Byte('D').CString("ho").Byte(0).ToArray();
        Assert.Equal(expected, Written.By(w => BackendMessageWriter.WriteNoticeResponse(w, "NOTICE", "00000", "hi",
            "ho")));
    }

    [Fact]
    public void WriteNegotiateProtocolVersion_Writes_GoldenBytes()
    {
        byte[] expected = new WireBytes().Byte('v').Int32(4 + 4 + 4 + 10)
            .Int32(0).Int32(1).CString("_pq_.abcd").ToArray();
        Assert.Equal(expected, Written.By(w => BackendMessageWriter.WriteNegotiateProtocolVersion(w, 0,
            ["_pq_.abcd"])));
    }

    [Fact]
    public void WriteRowDescription_TextColumns_WritesGoldenBytes()
    {
        var expected = new WireBytes().Byte('T').Int32(4 + 2 + (8 + 18) + (7 + 18)).Int16(2);
        foreach (string name in new[] { "node_id", "status" })
        {
            // name, table oid, attnum, type oid (text), typlen, typmod, format (text)
            expected.CString(name).Int32(0).Int16(0).Int32(25).Int16(-1).Int32(-1).Int16(0);
        }

        Assert.Equal(expected.ToArray(), Written.By(w => BackendMessageWriter.WriteRowDescription(w,
            ["node_id", "status"])));
    }

    [Fact]
    public void WriteDataRow_WithNull_WritesMinusOneLength()
    {
        byte[] expected = new WireBytes().Byte('D').Int32(4 + 2 + 4 + 1 + 4 + 4 + 2).Int16(3)
            .Int32(1).Text("0").Int32(-1).Int32(2).Text("é").ToArray();
        Assert.Equal(expected, Written.By(w => BackendMessageWriter.WriteDataRow(w, ["0", null, "é"])));
    }

    [Fact]
    public void WriteCommandComplete_Writes_GoldenBytesAndRoundTrips()
    {
        byte[] expected = [(byte)'C', 0, 0, 0, 13, .. "SELECT 3\0"u8];
        byte[] actual = Written.By(w => BackendMessageWriter.WriteCommandComplete(w, "SELECT 3"));
        Assert.Equal(expected, actual);
        Assert.Equal("SELECT 3", CommandCompleteMessage.ReadTag(Written.Body(actual)));
        Assert.True(CommandCompleteMessage.TryReadRowCount(Written.Body(actual), out long rows));
        Assert.Equal(3, rows);
    }

    [Fact]
    public void WriteEmptyQueryResponse_Writes_GoldenBytes()
    {
        Assert.Equal([(byte)'I', 0, 0, 0, 4], Written.By(BackendMessageWriter.WriteEmptyQueryResponse));
    }

    [Fact]
    public void WriteNotificationResponse_Writes_GoldenBytes()
    {
        byte[] expected = [(byte)'A', 0, 0, 0, 17, 0, 0, 0, 7, .. "ch\0hello\0"u8];
        Assert.Equal(expected, Written.By(w => BackendMessageWriter.WriteNotificationResponse(w, 7, "ch", "hello")));
    }

    [Fact]
    public void WriteSslRefused_Writes_SingleN()
    {
        Assert.Equal([(byte)'N'], Written.By(BackendMessageWriter.WriteSslRefused));
    }

    [Fact]
    public void WriteSslAccepted_Writes_SingleS()
    {
        Assert.Equal([(byte)'S'], Written.By(BackendMessageWriter.WriteSslAccepted));
    }

    [Fact]
    public void WriteCommandComplete_TagWithNul_Throws()
    {
        Assert.Throws<ArgumentException>(() => Written.By(w => BackendMessageWriter.WriteCommandComplete(w, "a\0b")));
    }
}
