using System.Buffers;
using System.Text;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.TestUtilities;

namespace Pgproxy.Protocol.Tests.Frontend;

/// <summary>
/// Golden bytes of the extended protocol's frontend messages as libpq writes them, each read whole and after
/// arriving one byte per segment (the frame reassembled from the sequence, as the session does), plus the
/// malformed bodies PostgreSQL refuses.
/// </summary>
public class ExtendedMessageTests
{
    // Parse "s1": SELECT $1::int + $2, parameter types int4 (23) and unspecified (0).
    private static readonly byte[] ParseFrame =
        [(byte)'P', 0, 0, 0, 37, .. "s1\0SELECT $1::int + $2\0"u8, 0, 2, 0, 0, 0, 23, 0, 0, 0, 0];

    // Bind portal "p" to "s1": one format code (binary) for both, values 4 bytes and NULL, one result format (text).
    private static readonly byte[] BindFrame =
        [(byte)'B', 0, 0, 0, 31, .. "p\0s1\0"u8, 0, 1, 0, 1, 0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 0];

    private static readonly byte[] DescribeFrame = [(byte)'D', 0, 0, 0, 8, (byte)'S', .. "s1\0"u8];

    private static readonly byte[] CloseFrame = [(byte)'C', 0, 0, 0, 7, (byte)'P', .. "p\0"u8];

    private static readonly byte[] ExecuteFrame = [(byte)'E', 0, 0, 0, 10, .. "p\0"u8, 0, 0, 0, 100];

    private static readonly byte[] CopyFailFrame = [(byte)'f', 0, 0, 0, 12, .. "no more\0"u8];

    [Fact]
    public void Parse_GoldenBytes_EveryShape()
    {
        foreach (var body in BodiesOf(ParseFrame))
        {
            var parse = ParseMessage.Read(body);
            Assert.Equal("s1", Encoding.UTF8.GetString(parse.StatementName));
            Assert.Equal("SELECT $1::int + $2", Encoding.UTF8.GetString(parse.Query));
            Assert.Equal(3, parse.QueryOffset);
            Assert.Equal(23, parse.AfterQueryOffset);
            Assert.Equal(2, parse.ParameterTypeCount);
            Assert.Equal((23u, 0u), (parse.ParameterType(0), parse.ParameterType(1)));
        }
    }

    [Fact]
    public void Bind_GoldenBytes_EveryShape()
    {
        foreach (var body in BodiesOf(BindFrame))
        {
            var bind = BindMessage.Read(body);
            Assert.Equal("p", Encoding.UTF8.GetString(bind.PortalName));
            Assert.Equal("s1", Encoding.UTF8.GetString(bind.StatementName));
            Assert.Equal((1, 2, 1), (bind.ParameterFormatCount, bind.ParameterCount, bind.ResultFormatCount));
        }
    }

    [Fact]
    public void DescribeCloseExecuteCopyFail_GoldenBytes_EveryShape()
    {
        foreach (var body in BodiesOf(DescribeFrame))
        {
            var describe = DescribeMessage.Read(body);
            Assert.Equal(PortalOrStatement.Statement, describe.Target);
            Assert.Equal("s1", Encoding.UTF8.GetString(describe.Name));
        }

        foreach (var body in BodiesOf(CloseFrame))
        {
            var close = CloseMessage.Read(body);
            Assert.Equal(PortalOrStatement.Portal, close.Target);
            Assert.Equal("p", Encoding.UTF8.GetString(close.Name));
        }

        foreach (var body in BodiesOf(ExecuteFrame))
        {
            var execute = ExecuteMessage.Read(body);
            Assert.Equal("p", Encoding.UTF8.GetString(execute.PortalName));
            Assert.Equal(100, execute.MaxRows);
        }

        foreach (var body in BodiesOf(CopyFailFrame))
        {
            Assert.Equal("no more", CopyFailMessage.ReadReason(body));
        }
    }

    public static TheoryData<string, byte[]> MalformedBodies => new()
    {
        { "Parse without query terminator", [.. "s\0SELECT 1"u8] },
        { "Parse without type count", [.. "s\0SELECT 1\0"u8] },
        { "Parse declaring 2 types, giving 1", [.. "s\0q\0"u8, 0, 2, 0, 0, 0, 23] },
        { "Parse with bytes left over", [.. "s\0q\0"u8, 0, 0, 9] },
        { "Parse declaring 65535 types", [.. "s\0q\0"u8, 0xFF, 0xFF] },
        { "Bind with 2 formats for 1 parameter", [.. "\0\0"u8, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] },
        { "Bind value length -2", [.. "\0\0"u8, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0] },
        { "Bind value longer than the body", [.. "\0\0"u8, 0, 0, 0, 1, 0x40, 0, 0, 0, 0, 0] },
        { "Bind declaring 3 parameters, giving 1", [.. "\0\0"u8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0] },
        { "Bind with bytes left over", [.. "\0\0"u8, 0, 0, 0, 0, 0, 0, 1] },
        { "Bind without result format count", [.. "\0\0"u8, 0, 0, 0, 0] },
        { "Describe of 'X'", [(byte)'X', .. "s\0"u8] },
        { "Describe without name", [(byte)'S'] },
        { "empty Describe", [] },
        { "Close of 'Q'", [(byte)'Q', 0] },
        { "Execute without row count", [.. "p\0"u8, 0, 0] },
        { "Execute with bytes left over", [.. "p\0"u8, 0, 0, 0, 0, 1] },
        { "CopyFail without terminator", [.. "oops"u8] },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void MalformedBody_IsAProtocolViolation(string what, byte[] body)
    {
        var reader = what.Split(' ')[0] switch
        {
            "Parse" => () => _ = ParseMessage.Read(body).Query.Length,
            "Bind" => () => _ = BindMessage.Read(body).ParameterCount,
            "Describe" or "empty" => () => _ = DescribeMessage.Read(body).Name.Length,
            "Close" => () => _ = CloseMessage.Read(body).Name.Length,
            "Execute" => () => _ = ExecuteMessage.Read(body).MaxRows,
            _ => (Action)(() => CopyFailMessage.ReadReason(body)),
        };

        var e = Assert.Throws<ProtocolViolationException>(reader);
        Assert.Equal(ProtocolViolationReason.MalformedMessage, e.Reason);
    }

    /// <summary>
    /// The body of <paramref name="frame"/> as the session sees it after the frame arrived whole, and one byte per
    /// segment (its header read across segments, its body copied out).
    /// </summary>
    private static IEnumerable<byte[]> BodiesOf(byte[] frame)
    {
        foreach (var shape in new[] { new ReadOnlySequence<byte>(frame), ReadOnlySequenceFactory.OneBytePerSegment(frame) })
        {
            Assert.True(FrameReader.TryReadHeader(shape, out var header));
            Assert.Equal(frame[0], header.Type);
            Assert.Equal(frame.Length - 1, header.Length);
            yield return shape.Slice(5, header.Length - 4).ToArray();
        }
    }
}
