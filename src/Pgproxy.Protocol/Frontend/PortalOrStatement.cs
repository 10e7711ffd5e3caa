namespace Pgproxy.Protocol.Frontend;

/// <summary>What a Describe or Close names: the byte 'S' or 'P' on the wire.</summary>
public enum PortalOrStatement : byte
{
    Statement = (byte)'S',
    Portal = (byte)'P',
}
