namespace Pgproxy.Protocol.Frontend;

/// <summary>Describe ('D'): a prepared statement ('S') or a portal ('P') by name.</summary>
public readonly ref struct DescribeMessage
{
    private DescribeMessage(PortalOrStatement target, ReadOnlySpan<byte> name)
    {
        Target = target;
        Name = name;
    }

    public PortalOrStatement Target { get; }

    public ReadOnlySpan<byte> Name { get; }

    public static DescribeMessage Read(ReadOnlySpan<byte> body)
    {
        var reader = new MessageBody(body, "Describe");
        var target = PortalOrStatementByte.Read(reader.Byte(), "DESCRIBE");
        var name = reader.CString();
        reader.End();
        return new DescribeMessage(target, name);
    }
}
