using System.Buffers.Binary;

namespace Pgproxy.Protocol.Frontend;

/// <summary>
/// Parse ('P'): a statement name, its SQL and the types of its parameters. A view over the body; nothing is
/// copied.
/// </summary>
public readonly ref struct ParseMessage
{
    private readonly ReadOnlySpan<byte> _parameterTypes;

    private ParseMessage(ReadOnlySpan<byte> name, ReadOnlySpan<byte> query, int queryOffset,
        ReadOnlySpan<byte> parameterTypes)
    {
        StatementName = name;
        Query = query;
        QueryOffset = queryOffset;
        _parameterTypes = parameterTypes;
    }

    /// <summary>The prepared statement's name, empty for the unnamed statement.</summary>
    public ReadOnlySpan<byte> StatementName { get; }

    /// <summary>The SQL text without its terminator.</summary>
    public ReadOnlySpan<byte> Query { get; }

    /// <summary>Where <see cref="Query"/> starts in the body, for rewriting it in place.</summary>
    public int QueryOffset { get; }

    /// <summary>Where the bytes after the query's terminator start (the parameter types).</summary>
    public int AfterQueryOffset => QueryOffset + Query.Length + 1;

    public int ParameterTypeCount => _parameterTypes.Length / 4;

    /// <summary>The OID given for parameter <paramref name="index"/> (0: let the server infer it).</summary>
    public uint ParameterType(int index) => BinaryPrimitives.ReadUInt32BigEndian(_parameterTypes[(index * 4)..]);

    /// <summary>Reads and checks the whole body, as exec_parse_message does.</summary>
    public static ParseMessage Read(ReadOnlySpan<byte> body)
    {
        var reader = new MessageBody(body, "Parse");
        var name = reader.CString();
        var queryOffset = reader.Offset;
        var query = reader.CString();
        var count = (ushort)reader.Int16();
        var types = reader.Bytes(count * 4);
        reader.End();
        return new ParseMessage(name, query, queryOffset, types);
    }
}
