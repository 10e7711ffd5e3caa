using System.Buffers.Binary;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Backend;

/// <summary>AuthenticationRequest ('R'): an Int32 <see cref="AuthenticationCode"/> followed by method data.</summary>
public static class AuthenticationRequestMessage
{
    public static int ReadCode(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4)
        {
            CStringReader.ThrowMalformed("AuthenticationRequest");
        }

        return BinaryPrimitives.ReadInt32BigEndian(body);
    }

    /// <summary>The bytes after the code: the MD5 salt, or the SASL data of SASLContinue/SASLFinal.</summary>
    public static ReadOnlySpan<byte> ReadData(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4)
        {
            CStringReader.ThrowMalformed("AuthenticationRequest");
        }

        return body[4..];
    }

    /// <summary>The mechanism names of AuthenticationSASL: strings ended by an empty string.</summary>
    public static IReadOnlyList<string> ReadSaslMechanisms(ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> data = ReadData(body);
        var mechanisms = new List<string>();
        int offset = 0;
        while (true)
        {
            if (offset >= data.Length)
            {
                CStringReader.ThrowMalformed("AuthenticationSASL");
            }

            if (data[offset] == 0)
            {
                CStringReader.RequireEnd(data, offset + 1, "AuthenticationSASL");
                return mechanisms;
            }

            mechanisms.Add(CStringReader.Read(data, ref offset, "AuthenticationSASL"));
        }
    }
}
