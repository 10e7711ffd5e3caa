using System.Buffers;
using Pgproxy.Protocol.Backend;

namespace Pgproxy.Protocol.Tests.Backend;

public sealed class ErrorPositionShiftTests
{
    [Fact]
    public void Moves_the_position_and_keeps_every_other_field()
    {
        var original = Frame("SERROR", "C42703", "Mcolumn \"x\" does not exist", "P8", "Fparse_relation.c");
        var output = new ArrayBufferWriter<byte>();

        ErrorPositionShift.Write(original, 95, output);

        Assert.Equal(Frame("SERROR", "C42703", "Mcolumn \"x\" does not exist", "P103", "Fparse_relation.c"),
            output.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    public void Without_a_position_or_a_shift_the_message_is_unchanged(int shift)
    {
        var original = shift == 0 ? Frame("SERROR", "C22012", "P3") : Frame("SERROR", "C22012", "Mdivision by zero");
        var output = new ArrayBufferWriter<byte>();

        ErrorPositionShift.Write(original, shift, output);

        Assert.Equal(original, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Only_the_first_position_field_moves()
    {
        var output = new ArrayBufferWriter<byte>();

        ErrorPositionShift.Write(Frame("P1", "P2"), 9, output);

        Assert.Equal(Frame("P10", "P2"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_malformed_body_is_a_protocol_violation() =>
        Assert.Throws<Pgproxy.Protocol.Framing.ProtocolViolationException>(() =>
            ErrorPositionShift.Write([(byte)'E', 0, 0, 0, 7, (byte)'P', (byte)'1'], 3, new ArrayBufferWriter<byte>()));

    private static byte[] Frame(params string[] fields)
    {
        var body = fields.SelectMany(f => System.Text.Encoding.UTF8.GetBytes(f).Append((byte)0)).Append((byte)0).ToArray();
        var frame = new byte[body.Length + 5];
        frame[0] = (byte)'E';
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), body.Length + 4);
        body.CopyTo(frame, 5);
        return frame;
    }
}
