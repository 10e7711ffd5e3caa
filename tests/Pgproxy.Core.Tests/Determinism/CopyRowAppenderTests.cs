using System.Buffers;
using System.Text;
using Pgproxy.Core.Determinism;

namespace Pgproxy.Core.Tests.Determinism;

public sealed class CopyRowAppenderTests
{
    public static TheoryData<bool, string, string> Streams => new()
    {
        { false, "1\ta\n2\tb\n", "1\ta|TS\n2\tb|TS\n" },
        { false, "1\n\\.\n", "1|TS\n\\.\n" },
        { false, "1\n\\.\nafter the end\n", "1|TS\n\\.\nafter the end\n" },
        { false, "a\\\nb\n", "a\\\nb|TS\n" },
        { false, "a\\\\\nb\n", "a\\\\|TS\nb|TS\n" },
        { false, "\\.x\n", "\\.x|TS\n" },
        { false, "x\\.\n", "x\\.|TS\n" },
        { false, "1\r\n2\r\n", "1|TS\r\n2|TS\r\n" },
        { false, "1\r2\r", "1|TS\r2|TS\r" },
        { false, "1\n2", "1|TS\n2|TS" },
        { false, "\n", "|TS\n" },
        { false, "", "" },
        { false, "é\tñ\n", "é\tñ|TS\n" },
        { true, "1,\"a\nb\"\n2,\"x\"\"y\"\n", "1,\"a\nb\"|TS\n2,\"x\"\"y\"|TS\n" },
        { true, "1,\"a\r\n\"\"b\"\"\r\n\",c\r\n", "1,\"a\r\n\"\"b\"\"\r\n\",c|TS\r\n" },
        { true, "1,a\\\n2,b\n", "1,a\\|TS\n2,b|TS\n" },
        { true, "1\n\\.\n", "1|TS\n\\.\n" },
        { true, "\"\\.\"\n\\.\n", "\"\\.\"|TS\n\\.\n" },
        { true, "\"unterminated\nrow", "\"unterminated\nrow" },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void Append_AddsTheFieldsToEveryRow_WhereverThePiecesAreCut(bool csv, string input, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        for (var split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(expected, Run(csv, (byte)'"', [bytes[..split], bytes[split..]]));
        }

        Assert.Equal(expected, Run(csv, (byte)'"', [.. bytes.Select(b => new[] { b })]));
    }

    [Theory]
    [InlineData("1,\"a\\\"b\nc\"\n2,\"\\\\\"\n", "1,\"a\\\"b\nc\"|TS\n2,\"\\\\\"|TS\n")]
    [InlineData("1,\"a\\x\"\n", "1,\"a\\x\"|TS\n")]
    public void Append_InCsvWithAnEscapeOtherThanTheQuote_KeepsEscapedQuotesInside(string input, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        for (var split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(expected, Run(csv: true, (byte)'\\', [bytes[..split], bytes[split..]]));
        }
    }

    [Fact]
    public void Append_GivesTheHeaderLineTheColumnNames()
    {
        var appender = new CopyRowAppender(csv: true, (byte)'"', (byte)'"', "|TS"u8.ToArray(), "|created"u8.ToArray());
        var output = new ArrayBufferWriter<byte>();
        appender.Append("id,\"na\nme\"\r\n1,a\r\n"u8, output);
        appender.Complete(output);
        Assert.Equal("id,\"na\nme\"|created\r\n1,a|TS\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static string Run(bool csv, byte escape, IEnumerable<byte[]> pieces)
    {
        var appender = new CopyRowAppender(csv, (byte)'"', escape, "|TS"u8.ToArray(), null);
        var output = new ArrayBufferWriter<byte>();
        foreach (var piece in pieces)
        {
            appender.Append(piece, output);
        }

        appender.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
