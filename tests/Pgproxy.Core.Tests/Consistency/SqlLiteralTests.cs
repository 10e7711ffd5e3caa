using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

public sealed class SqlLiteralTests
{
    [Theory]
    [InlineData("1001", "'1001'")]
    [InlineData("it's", "'it''s'")]
    [InlineData(@"back\slash 'q'", @"E'back\\slash ''q'''")]
    [InlineData("", "''")]
    public void Quote_DoublesQuotes_AndBackslashesInAnEString(string value, string expected) =>
        Assert.Equal(expected, SqlLiteral.Quote(value));

    [Fact]
    public void Cast_CastsToTheGivenType() =>
        Assert.Equal("'2026-01-01 00:00:00+00'::timestamp with time zone",
            SqlLiteral.Cast("2026-01-01 00:00:00+00", "timestamp with time zone"));
}
