namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// Frontend messages for session tests, built field by field with <see cref="WireBytes"/> as the PostgreSQL
/// "Message Formats" page lists them: the extended protocol (text parameters only) and COPY.
/// </summary>
internal static class ClientFrames
{
    public static byte[] Query(string sql) => Frame('Q', new WireBytes().CString(sql));

    public static byte[] Parse(string statement, string sql) =>
        Frame('P', new WireBytes().CString(statement).CString(sql).Int16(0));

    public static byte[] Bind(string portal = "", string statement = "") =>
        Frame('B', new WireBytes().CString(portal).CString(statement).Int16(0).Int16(0).Int16(0));

    /// <summary>A Bind with parameters: one format code per value (0 text, 1 binary), results in text.</summary>
    public static byte[] Bind(string portal, string statement, short[] formats, byte[][] values)
    {
        var body = new WireBytes().CString(portal).CString(statement).Int16((short)formats.Length);
        foreach (var format in formats)
        {
            body.Int16(format);
        }

        body.Int16((short)values.Length);
        foreach (var value in values)
        {
            body.Int32(value.Length).Bytes(value);
        }

        return Frame('B', body.Int16(0));
    }

    /// <summary>Describe of a portal ('P') or a prepared statement ('S').</summary>
    public static byte[] Describe(char kind, string name = "") => Frame('D', new WireBytes().Byte(kind).CString(name));

    public static byte[] Execute(string portal = "", int maxRows = 0) =>
        Frame('E', new WireBytes().CString(portal).Int32(maxRows));

    public static byte[] Close(char kind, string name) => Frame('C', new WireBytes().Byte(kind).CString(name));

    public static byte[] Sync() => Frame('S', new WireBytes());

    public static byte[] Flush() => Frame('H', new WireBytes());

    public static byte[] CopyData(string rows) => Frame('d', new WireBytes().Text(rows));

    public static byte[] CopyDone() => Frame('c', new WireBytes());

    public static byte[] CopyFail(string message) => Frame('f', new WireBytes().CString(message));

    /// <summary>Parse, Bind, Describe portal and Execute of the unnamed statement: what drivers send per statement.</summary>
    public static byte[] Statement(string sql) =>
        [.. Parse("", sql), .. Bind(), .. Describe('P'), .. Execute()];

    /// <summary>One extended-protocol group ending with Sync: each statement as <see cref="Statement"/>.</summary>
    public static byte[] Group(params string[] statements) => [.. statements.SelectMany(Statement), .. Sync()];

    /// <summary>
    /// A fast-path FunctionCall: one format code per argument (0 text, 1 binary), each argument's bytes (null: SQL
    /// NULL), the result's format.
    /// </summary>
    public static byte[] FunctionCall(uint function, short[] formats, byte[]?[] args, short resultFormat)
    {
        var body = new WireBytes().Int32(unchecked((int)function)).Int16((short)formats.Length);
        foreach (var format in formats)
        {
            body.Int16(format);
        }

        body.Int16((short)args.Length);
        foreach (var arg in args)
        {
            body.Int32(arg?.Length ?? -1);
            if (arg is not null)
            {
                body.Bytes(arg);
            }
        }

        return Frame('F', body.Int16(resultFormat));
    }

    /// <summary>An int4 (or oid) argument of a FunctionCall in binary format.</summary>
    public static byte[] Binary(uint value) =>
        [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static byte[] Frame(char type, WireBytes body)
    {
        var fields = body.ToArray();
        return new WireBytes().Byte(type).Int32(fields.Length + 4).Bytes(fields).ToArray();
    }
}
