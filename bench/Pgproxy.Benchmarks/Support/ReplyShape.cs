using System.Buffers;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Benchmarks.Support;

/// <summary>
/// A reply written as its message types, with the CommandComplete tag, the ReadyForQuery status and the
/// ErrorResponse fields spelled out (<c>T D C:SELECT 1 Z:I</c>): what a benchmark's setup compares with what it
/// expects, so a benchmark cannot time an error path by mistake.
/// </summary>
internal static class ReplyShape
{
    public static string Of(byte[] reply)
    {
        var parts = new List<string>();
        var buffer = new ReadOnlySequence<byte>(reply);
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            var body = buffer.Slice(5, header.TotalLength - 5).ToArray();
            parts.Add((char)header.Type switch
            {
                'C' => "C:" + Encoding.UTF8.GetString(body.AsSpan(0, body.Length - 1)),
                'Z' => "Z:" + (char)body[0],
                // Fields are a type byte and a C string each; zeros become spaces so the message is readable.
                'E' or 'N' => (char)header.Type + ":" + Encoding.UTF8.GetString(body).Replace('\0', ' ').Trim(),
                _ => ((char)header.Type).ToString(),
            });
            buffer = buffer.Slice(header.TotalLength);
        }

        return string.Join(' ', parts);
    }
}
