using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Backend;

/// <summary>ParameterStatus ('S'): a run-time parameter the backend reports (server_version, TimeZone, …).</summary>
public static class ParameterStatusMessage
{
    public static (string Name, string Value) Read(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        string name = CStringReader.Read(body, ref offset, "ParameterStatus");
        string value = CStringReader.Read(body, ref offset, "ParameterStatus");
        CStringReader.RequireEnd(body, offset, "ParameterStatus");
        return (name, value);
    }
}
