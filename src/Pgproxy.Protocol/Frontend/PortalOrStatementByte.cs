using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Frontend;

/// <summary>Reads the 'S'/'P' byte of Describe and Close, refusing anything else as PostgreSQL does.</summary>
internal static class PortalOrStatementByte
{
    public static PortalOrStatement Read(byte value, string command) => value switch
    {
        (byte)'S' => PortalOrStatement.Statement,
        (byte)'P' => PortalOrStatement.Portal,
        _ => Invalid(value, command),
    };

    private static PortalOrStatement Invalid(byte value, string command)
    {
        ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage,
            $"invalid {command} message subtype {value}");
        return default;
    }
}
