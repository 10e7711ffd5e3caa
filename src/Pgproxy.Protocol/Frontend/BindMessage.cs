using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Frontend;

/// <summary>
/// Bind ('B'): a portal made from a prepared statement and parameter values. The view checks the layout the way
/// exec_bind_message reads it (format counts, value lengths, nothing left over); whether the count matches the
/// statement is the server's to say.
/// </summary>
public readonly ref struct BindMessage
{
    private BindMessage(ReadOnlySpan<byte> portal, ReadOnlySpan<byte> statement, int parameterFormatCount,
        int parameterCount, int resultFormatCount)
    {
        PortalName = portal;
        StatementName = statement;
        ParameterFormatCount = parameterFormatCount;
        ParameterCount = parameterCount;
        ResultFormatCount = resultFormatCount;
    }

    /// <summary>The portal's name, empty for the unnamed portal.</summary>
    public ReadOnlySpan<byte> PortalName { get; }

    /// <summary>The prepared statement's name, empty for the unnamed statement.</summary>
    public ReadOnlySpan<byte> StatementName { get; }

    public int ParameterFormatCount { get; }

    public int ParameterCount { get; }

    public int ResultFormatCount { get; }

    public static BindMessage Read(ReadOnlySpan<byte> body)
    {
        var reader = new MessageBody(body, "Bind");
        var portal = reader.CString();
        var statement = reader.CString();
        var formats = (ushort)reader.Int16();
        reader.Bytes(formats * 2);
        var parameters = (ushort)reader.Int16();
        if (formats > 1 && formats != parameters)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage,
                $"bind message has {formats} parameter formats but {parameters} parameters");
        }

        for (var i = 0; i < parameters; i++)
        {
            var length = reader.Int32();
            if (length != -1)
            {
                reader.Bytes(length); // a length below -1 is "insufficient data", as in pq_getmsgbytes
            }
        }

        var results = (ushort)reader.Int16();
        reader.Bytes(results * 2);
        reader.End();
        return new BindMessage(portal, statement, formats, parameters, results);
    }
}
