using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Core.Backends;

/// <summary>
/// Reads one whole message into its own array. Only for the cold paths (backend startup, connection reset,
/// health probes), where a few small allocations per connection don't matter; the forwarding path never
/// copies a body.
/// </summary>
internal static class WholeMessageReader
{
    /// <summary>Messages on the cold paths are small; anything bigger means the peer is not what we think.</summary>
    private const int MaxLength = 1 << 20;

    /// <summary>Returns the message type and body, or null when the peer closed the connection.</summary>
    public static async ValueTask<(byte Type, byte[] Body)?> ReadAsync(PipeReader reader,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (FrameReader.TryReadHeader(buffer, out var header))
            {
                if (header.Length > MaxLength)
                {
                    ProtocolViolationException.Throw(ProtocolViolationReason.MessageTooLarge,
                        $"unexpected message of {header.Length} bytes from the server");
                }

                if (buffer.Length >= header.TotalLength)
                {
                    var body = buffer.Slice(5, header.Length - 4).ToArray();
                    reader.AdvanceTo(buffer.GetPosition(header.TotalLength));
                    return (header.Type, body);
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
