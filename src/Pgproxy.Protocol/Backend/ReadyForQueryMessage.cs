using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Backend;

/// <summary>ReadyForQuery ('Z'): the transaction status the proxy tracks per backend.</summary>
public static class ReadyForQueryMessage
{
    /// <summary>The status byte; any body other than one of 'I', 'T', 'E' is a malformed message.</summary>
    public static TransactionStatus Read(ReadOnlySpan<byte> body)
    {
        if (body.Length != 1 || body[0] is not ((byte)'I' or (byte)'T' or (byte)'E'))
        {
            CStringReader.ThrowMalformed("ReadyForQuery");
        }

        return (TransactionStatus)body[0];
    }
}
