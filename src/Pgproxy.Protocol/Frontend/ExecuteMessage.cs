namespace Pgproxy.Protocol.Frontend;

/// <summary>Execute ('E'): run a portal, returning at most <see cref="MaxRows"/> rows (0: all).</summary>
public readonly ref struct ExecuteMessage
{
    private ExecuteMessage(ReadOnlySpan<byte> portal, int maxRows)
    {
        PortalName = portal;
        MaxRows = maxRows;
    }

    public ReadOnlySpan<byte> PortalName { get; }

    public int MaxRows { get; }

    public static ExecuteMessage Read(ReadOnlySpan<byte> body)
    {
        var reader = new MessageBody(body, "Execute");
        var portal = reader.CString();
        var maxRows = reader.Int32();
        reader.End();
        return new ExecuteMessage(portal, maxRows);
    }
}
