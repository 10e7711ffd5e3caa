using System.Buffers.Binary;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Backend;

/// <summary>
/// BackendKeyData ('K'): the process id and secret key for CancelRequest. The proxy speaks protocol 3.0 to
/// backends, so the key is exactly 4 bytes; a longer (3.2) key is a malformed message here.
/// </summary>
public static class BackendKeyDataMessage
{
    public static (int ProcessId, int SecretKey) Read(ReadOnlySpan<byte> body)
    {
        if (body.Length != 8)
        {
            CStringReader.ThrowMalformed("BackendKeyData");
        }

        return (BinaryPrimitives.ReadInt32BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body[4..]));
    }
}
