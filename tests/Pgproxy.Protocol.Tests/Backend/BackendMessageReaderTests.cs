using System.Text;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities;

namespace Pgproxy.Protocol.Tests.Backend;

public class BackendMessageReaderTests
{
    [Theory]
    [InlineData('I', TransactionStatus.Idle)]
    [InlineData('T', TransactionStatus.InTransaction)]
    [InlineData('E', TransactionStatus.Failed)]
    public void ReadyForQueryRead_StatusByte_ReturnsStatus(char wire, TransactionStatus expected)
    {
        Assert.Equal(expected, ReadyForQueryMessage.Read([(byte)wire]));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'X' })]
    [InlineData(new byte[] { (byte)'I', 0 })]
    public void ReadyForQueryRead_BadBody_ThrowsMalformed(byte[] body)
    {
        var ex = Assert.Throws<ProtocolViolationException>(() => ReadyForQueryMessage.Read(body));
        Assert.Equal(ProtocolViolationReason.MalformedMessage, ex.Reason);
    }

    // What PostgreSQL 16 sends for "SELEC 1" (fields F, L, R are skipped by the reader).
    private static readonly byte[] SyntaxErrorBody = new WireBytes()
        .Byte('S').CString("ERREUR").Byte('V').CString("ERROR").Byte('C').CString("42601")
        .Byte('M').CString("syntax error at or near \"SELEC\"").Byte('P').CString("1")
        .Byte('F').CString("scan.l").Byte('L').CString("1188").Byte('R').CString("scanner_yyerror").Byte(0).ToArray();

    [Fact]
    public void ErrorResponseParse_RealError_PrefersNonLocalizedSeverity()
    {
        ErrorResponseMessage error = ErrorResponseMessage.Parse(SyntaxErrorBody);
        Assert.Equal("ERROR", error.Severity);
        Assert.Equal("42601", error.SqlState);
        Assert.Equal("syntax error at or near \"SELEC\"", error.Message);
        Assert.Null(error.Detail);
        Assert.Null(error.Hint);
    }

    [Fact]
    public void ErrorResponseParse_OnlyLocalizedSeverity_UsesIt()
    {
        byte[] body = new WireBytes().Byte('S').CString("FATAL").Byte('C').CString("57P01").Byte('M').CString("bye")
            .Byte('D').CString("d").Byte('H').CString("h").Byte(0).ToArray();
        ErrorResponseMessage error = ErrorResponseMessage.Parse(body);
        Assert.Equal(("FATAL", "57P01", "bye", "d", "h"),
            (error.Severity, error.SqlState, error.Message, error.Detail, error.Hint));
    }

    [Fact]
    public void ReadSqlState_KnownCode_ReturnsTheInternedConstant()
    {
        Assert.Same(SqlState.SyntaxError, ErrorResponseMessage.ReadSqlState(SyntaxErrorBody));
    }

    [Fact]
    public void ReadSqlState_UnknownCodeOrNone_ReturnsStringOrNull()
    {
        Assert.Equal("23505",
            ErrorResponseMessage.ReadSqlState(new WireBytes().Byte('C').CString("23505").Byte(0).ToArray()));
        Assert.Null(ErrorResponseMessage.ReadSqlState(new WireBytes().Byte('M').CString("x").Byte(0).ToArray()));
    }

    [Fact]
    public void TryFindField_Present_ReturnsSliceOfBody()
    {
        Assert.True(ErrorResponseMessage.TryFindField(SyntaxErrorBody, (byte)'R', out ReadOnlySpan<byte> routine));
        Assert.True(routine.SequenceEqual("scanner_yyerror"u8));
        Assert.False(ErrorResponseMessage.TryFindField(SyntaxErrorBody, (byte)'W', out _));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'C', (byte)'4', (byte)'2' })]
    [InlineData(new byte[] { (byte)'C', (byte)'4', 0 })]
    public void ErrorResponseParse_Unterminated_ThrowsMalformed(byte[] body)
    {
        Assert.Equal(ProtocolViolationReason.MalformedMessage,
            Assert.Throws<ProtocolViolationException>(() => ErrorResponseMessage.Parse(body)).Reason);
    }

    [Fact]
    public void ReadSqlState_MalformedBeforeField_ThrowsMalformed()
    {
        // ReadSqlState stops at the field it wants, so only damage before it is detected.
        byte[] body = [(byte)'M', (byte)'x'];
        Assert.Equal(ProtocolViolationReason.MalformedMessage,
            Assert.Throws<ProtocolViolationException>(() => ErrorResponseMessage.ReadSqlState(body)).Reason);
    }

    [Fact]
    public void ParameterStatusRead_Body_ReturnsNameAndValue()
    {
        Assert.Equal(("server_version", "16.4"), ParameterStatusMessage.Read("server_version\016.4\0"u8));
    }

    [Theory]
    [InlineData("name\0value")]
    [InlineData("name\0value\0extra")]
    [InlineData("name")]
    public void ParameterStatusRead_Malformed_Throws(string body)
    {
        Assert.Throws<ProtocolViolationException>(() => ParameterStatusMessage.Read(Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void BackendKeyDataRead_Body_ReturnsPidAndKey()
    {
        Assert.Equal((258, -1), BackendKeyDataMessage.Read([0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFF]));
        Assert.Throws<ProtocolViolationException>(() => BackendKeyDataMessage.Read([0, 0, 1, 2]));
    }

    [Fact]
    public void AuthenticationRequest_Md5_ReadsCodeAndSalt()
    {
        byte[] body = [0, 0, 0, 5, 9, 8, 7, 6];
        Assert.Equal(AuthenticationCode.Md5Password, AuthenticationRequestMessage.ReadCode(body));
        Assert.Equal([9, 8, 7, 6], AuthenticationRequestMessage.ReadData(body).ToArray());
        Assert.Throws<ProtocolViolationException>(() => AuthenticationRequestMessage.ReadCode([0, 0]));
    }

    [Fact]
    public void ReadSaslMechanisms_Body_ReturnsNames()
    {
        byte[] body = [0, 0, 0, 10, .. "SCRAM-SHA-256\0\0"u8];
        Assert.Equal(["SCRAM-SHA-256"], AuthenticationRequestMessage.ReadSaslMechanisms(body));
        Assert.Throws<ProtocolViolationException>(
            () => AuthenticationRequestMessage.ReadSaslMechanisms([0, 0, 0, 10, .. "SCRAM-SHA-256\0"u8]));
    }

    [Theory]
    [InlineData("INSERT 0 5", true, 5)]
    [InlineData("UPDATE 3", true, 3)]
    [InlineData("DELETE 0", true, 0)]
    [InlineData("SELECT 9223372036854775807", true, long.MaxValue)]
    [InlineData("COPY 12", true, 12)]
    [InlineData("CREATE TABLE", false, 0)]
    [InlineData("BEGIN", false, 0)]
    [InlineData("", false, 0)]
    [InlineData("SELECT 99999999999999999999", false, 0)]
    public void TryReadRowCount_Tag_ReturnsTrailingNumber(string tag, bool expected, long expectedRows)
    {
        byte[] body = [.. Encoding.UTF8.GetBytes(tag), 0];
        Assert.Equal(expected, CommandCompleteMessage.TryReadRowCount(body, out long rows));
        Assert.Equal(expectedRows, rows);
        Assert.Equal(tag, CommandCompleteMessage.ReadTag(body));
    }

    [Fact]
    public void ReadTag_Unterminated_Throws()
    {
        Assert.Throws<ProtocolViolationException>(() => CommandCompleteMessage.ReadTag("SELECT 1"u8));
    }
}
