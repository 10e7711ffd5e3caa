using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Backend;

/// <summary>
/// Rewrites the cursor position ('P') of an ErrorResponse or NoticeResponse: a node that ran part of a client's
/// query string reports positions in that part, the client expects them in its whole string. Every other field
/// is copied as it is; a message without a position is copied unchanged.
/// </summary>
public static class ErrorPositionShift
{
    public const byte PositionField = (byte)'P';

    /// <summary>Writes <paramref name="frame"/> (a whole 'E' or 'N' message) with its position moved by
    /// <paramref name="shift"/> characters. Throws <see cref="ProtocolViolationException"/> when malformed.</summary>
    public static void Write(ReadOnlySpan<byte> frame, int shift, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var body = frame[5..];
        if (shift == 0 || !ErrorResponseMessage.TryFindField(body, PositionField, out var position)
                       || !int.TryParse(Encoding.ASCII.GetString(position), NumberStyles.None,
                           CultureInfo.InvariantCulture, out var value))
        {
            output.Write(frame);
            return;
        }

        var shifted = Encoding.ASCII.GetBytes((value + shift).ToString(CultureInfo.InvariantCulture));
        var length = frame.Length - position.Length + shifted.Length;
        var span = output.GetSpan(length);
        span[0] = frame[0];
        BinaryPrimitives.WriteInt32BigEndian(span[1..], length - 1);
        var offset = 5;
        var read = 0;
        var replaced = false;
        while (read < body.Length && body[read] != 0)
        {
            var field = body[read];
            var end = body[(read + 1)..].IndexOf((byte)0) + read + 1;
            span[offset++] = field;
            var replace = field == PositionField && !replaced;
            replaced |= replace;
            var text = replace ? shifted : body[(read + 1)..end];
            text.CopyTo(span[offset..]);
            offset += text.Length;
            span[offset++] = 0;
            read = end + 1;
        }

        span[offset++] = 0;
        output.Advance(offset);
    }
}
