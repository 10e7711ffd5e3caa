namespace Pgproxy.Protocol.Frontend;

/// <summary>
/// The bodies of the COPY sub-protocol's frontend messages: CopyData ('d') is the data itself, CopyDone ('c') is
/// empty (FrameReader.ValidateFrontend refuses a body), CopyFail ('f') carries the reason the server reports.
/// </summary>
public static class CopyFailMessage
{
    /// <summary>The reason, decoded as UTF-8; the body must be exactly one terminated string.</summary>
    public static string ReadReason(ReadOnlySpan<byte> body)
    {
        var reader = new MessageBody(body, "CopyFail");
        var reason = System.Text.Encoding.UTF8.GetString(reader.CString());
        reader.End();
        return reason;
    }
}
