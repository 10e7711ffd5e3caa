using System.Text;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Protocol.Tests.Frontend;

public class QueryMessageTests
{
    [Fact]
    public void ReadText_Terminated_ReturnsTextWithoutNul()
    {
        Assert.Equal("SELECT 'café'", QueryMessage.ReadText("SELECT 'café'\0"u8));
        Assert.Equal("", QueryMessage.ReadText("\0"u8));
    }

    [Theory]
    [InlineData("SELECT 1")]
    [InlineData("SELECT 1\0; DROP TABLE t\0")]
    [InlineData("")]
    public void ReadText_NotExactlyOneTrailingNul_ThrowsMalformed(string body)
    {
        var ex = Assert.Throws<ProtocolViolationException>(
            () => QueryMessage.ReadText(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(ProtocolViolationReason.MalformedMessage, ex.Reason);
    }
}
