namespace Pgproxy.Protocol.Frontend;

/// <summary>Close ('C'): a prepared statement ('S') or a portal ('P') by name.</summary>
public readonly ref struct CloseMessage
{
    private CloseMessage(PortalOrStatement target, ReadOnlySpan<byte> name)
    {
        Target = target;
        Name = name;
    }

    public PortalOrStatement Target { get; }

    public ReadOnlySpan<byte> Name { get; }

    public static CloseMessage Read(ReadOnlySpan<byte> body)
    {
        var reader = new MessageBody(body, "Close");
        var target = PortalOrStatementByte.Read(reader.Byte(), "CLOSE");
        var name = reader.CString();
        reader.End();
        return new CloseMessage(target, name);
    }
}
