using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

public sealed class SqlLexerTests
{
    /// <summary>Renders tokens as "Kind:text" joined by spaces.</summary>
    private static string Lex(string sql)
    {
        var lexer = new SqlLexer(sql);
        var parts = new List<string>();
        while (lexer.Next(out var token))
        {
            parts.Add($"{token.Kind}:{sql.Substring(token.Start, token.Length)}");
        }

        return string.Join(' ', parts);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("  \t\r\n\f ", "")]
    [InlineData("SELECT a", "Word:SELECT Word:a")]
    [InlineData("a_b$c1 _x été", "Word:a_b$c1 Word:_x Word:été")]
    [InlineData("-- comment\nx", "Word:x")]
    [InlineData("x -- comment", "Word:x")]
    [InlineData("x /* a /* b */ c */ y", "Word:x Word:y")]
    [InlineData("/**/x", "Word:x")]
    [InlineData("\"a\"\"b\" \"\"", "QuotedIdentifier:\"a\"\"b\" QuotedIdentifier:\"\"")]
    [InlineData("U&\"d\\0061t\"", "QuotedIdentifier:U&\"d\\0061t\"")]
    [InlineData("'it''s' ''", "String:'it''s' String:''")]
    [InlineData("'a\\' b", "String:'a\\' Word:b")]
    [InlineData("E'a\\'b' e'\\\\'", "EscapeString:E'a\\'b' EscapeString:e'\\\\'")]
    [InlineData("E'a''b'", "EscapeString:E'a''b'")]
    [InlineData("U&'d\\0061t' u&'x'", "String:U&'d\\0061t' String:u&'x'")]
    [InlineData("B'101' x'1F' N'nat'", "BitString:B'101' BitString:x'1F' String:N'nat'")]
    [InlineData("e 'x'", "Word:e String:'x'")]
    [InlineData("$$a;b$$", "DollarString:$$a;b$$")]
    [InlineData("$fn$ $$ inner $$ $fn$", "DollarString:$fn$ $$ inner $$ $fn$")]
    [InlineData("$a$x$b$y$a$", "DollarString:$a$x$b$y$a$")]
    [InlineData("$1 $23", "Parameter:$1 Parameter:$23")]
    [InlineData("a$$b", "Word:a$$b")]
    [InlineData("$", "Other:$")]
    [InlineData("1 12.5 .5 1e10 1.5E-3 0x1F 1_000", "Number:1 Number:12.5 Number:.5 Number:1e10 Number:1.5E-3 Number:0x1F Number:1_000")]
    [InlineData("a.b", "Word:a Dot:. Word:b")]
    [InlineData("x::int", "Word:x DoubleColon::: Word:int")]
    [InlineData("a[1:2]", "Word:a OpenBracket:[ Number:1 Other:: Number:2 CloseBracket:]")]
    [InlineData("(a, b);", "OpenParen:( Word:a Comma:, Word:b CloseParen:) Semicolon:;")]
    [InlineData("a<>b", "Word:a Operator:<> Word:b")]
    [InlineData("a->>'k'", "Word:a Operator:->> String:'k'")]
    [InlineData("a+--c\nb", "Word:a Operator:+ Word:b")]
    [InlineData("a*/*c*/b", "Word:a Operator:* Word:b")]
    [InlineData("a\\b", "Word:a Other:\\ Word:b")]
    public void Tokens(string sql, string expected) => Assert.Equal(expected, Lex(sql));

    [Theory]
    [InlineData("'abc")]
    [InlineData("E'abc\\'")]
    [InlineData("\"abc")]
    [InlineData("$$abc")]
    [InlineData("$t$abc$$")]
    [InlineData("/* abc")]
    [InlineData("/* a /* b */")]
    public void Unterminated_IsOneTokenToTheEnd(string body)
    {
        var sql = "x " + body;
        Assert.Equal($"Word:x Unterminated:{body}", Lex(sql));
    }

    [Fact]
    public void Keywords_AreRecognisedCaseInsensitively()
    {
        var lexer = new SqlLexer("select SeLeCt \"select\" current_timestamp selectx");
        var keywords = new List<SqlKeyword>();
        while (lexer.Next(out var token))
        {
            keywords.Add(token.Keyword);
        }

        Assert.Equal(
            [SqlKeyword.Select, SqlKeyword.Select, SqlKeyword.None, SqlKeyword.CurrentTimestamp, SqlKeyword.None],
            keywords);
    }

    [Fact]
    public void EveryKeyword_IsFoundInAnyCase()
    {
        foreach (var keyword in Enum.GetValues<SqlKeyword>().Where(k => k != SqlKeyword.None))
        {
            var upper = SqlKeywords.UpperText(keyword);
            Assert.Equal(keyword, SqlKeywords.Find(upper));
            Assert.Equal(keyword, SqlKeywords.Find(upper.ToLowerInvariant()));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("selec")]
    [InlineData("selects")]
    [InlineData("pgbench_accounts")]
    [InlineData("abalance")]
    [InlineData("SELECT_")]
    [InlineData("s\u00e9lect")]
    [InlineData("current_timestamp_")]
    [InlineData("default_transaction_isolation_x")]
    public void NonKeywords_AreNotFound(string word) => Assert.Equal(SqlKeyword.None, SqlKeywords.Find(word));
}
