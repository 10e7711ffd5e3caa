using System.Buffers;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Writing;

/// <summary>
/// Writes the client-to-server messages the proxy originates when it logs into backends, probes them or cancels
/// queries. Each method computes the length first, then writes one field per line.
/// </summary>
public static class FrontendMessageWriter
{
    /// <summary>
    /// StartupMessage: untyped; version, then name/value pairs, then a final terminator. Each pair is written as
    /// the bytes it holds, so what a client sent reaches the node unchanged.
    /// </summary>
    public static void WriteStartupParameters(IBufferWriter<byte> w, int protocolVersion,
        IEnumerable<StartupParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int length = 4 + 4 + 1;                           // length, protocol version, final terminator
        foreach (StartupParameter pair in parameters)
        {
            length += pair.NameBytes.Length + 1           // parameter name, terminator
                + pair.ValueBytes.Length + 1;             // parameter value, terminator
        }

        var c = SpanWriter.BeginUntyped(w, length);
        c.WriteInt32(protocolVersion);
        foreach (StartupParameter pair in parameters)
        {
            c.WriteBytes(pair.NameBytes);
            c.WriteByte(0);
            c.WriteBytes(pair.ValueBytes);
            c.WriteByte(0);
        }

        c.WriteByte(0);
        c.Complete(w);
    }

    /// <summary>StartupMessage from strings pgproxy makes itself (tests, probes), encoded as UTF-8.</summary>
    public static void WriteStartupMessage(IBufferWriter<byte> w, int protocolVersion,
        IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        WriteStartupParameters(w, protocolVersion,
            parameters.Select(p => StartupParameter.FromStrings(p.Key, p.Value)).ToList());
    }

    public static void WriteQuery(IBufferWriter<byte> w, string sql)
    {
        int length = 4 + SpanWriter.CStringLength(sql);   // length, query text
        var c = SpanWriter.BeginMessage(w, FrontendMessageType.Query, length);
        c.WriteCString(sql);
        c.Complete(w);
    }

    public static void WriteSync(IBufferWriter<byte> w) =>
        SpanWriter.BeginMessage(w, FrontendMessageType.Sync, 4).Complete(w); // length only

    public static void WriteTerminate(IBufferWriter<byte> w) =>
        SpanWriter.BeginMessage(w, FrontendMessageType.Terminate, 4).Complete(w); // length only

    /// <summary>CancelRequest: untyped, sent on a fresh connection instead of a StartupMessage.</summary>
    public static void WriteCancelRequest(IBufferWriter<byte> w, int processId, int secretKey)
    {
        int length = 4 + 4 + 4 + 4;                       // length, cancel code, process id, secret key
        var c = SpanWriter.BeginUntyped(w, length);
        c.WriteInt32(StartupPacket.CancelRequestCode);
        c.WriteInt32(processId);
        c.WriteInt32(secretKey);
        c.Complete(w);
    }

    /// <summary>SSLRequest: asks the server for TLS before the StartupMessage.</summary>
    public static void WriteSslRequest(IBufferWriter<byte> w)
    {
        int length = 4 + 4;                               // length, SSL request code
        var c = SpanWriter.BeginUntyped(w, length);
        c.WriteInt32(StartupPacket.SslRequestCode);
        c.Complete(w);
    }

    /// <summary>PasswordMessage: a cleartext password or the "md5…" response to AuthenticationMD5Password.</summary>
    public static void WritePasswordMessage(IBufferWriter<byte> w, string password)
    {
        int length = 4 + SpanWriter.CStringLength(password); // length, password
        var c = SpanWriter.BeginMessage(w, FrontendMessageType.PasswordMessage, length);
        c.WriteCString(password);
        c.Complete(w);
    }

    /// <summary>SASLInitialResponse: the chosen mechanism and the client-first-message.</summary>
    public static void WriteSaslInitialResponse(IBufferWriter<byte> w, string mechanism, ReadOnlySpan<byte> data)
    {
        int length = 4                                    // length
            + SpanWriter.CStringLength(mechanism)         // mechanism name
            + 4 + data.Length;                            // data length, data
        var c = SpanWriter.BeginMessage(w, FrontendMessageType.PasswordMessage, length);
        c.WriteCString(mechanism);
        c.WriteInt32(data.Length);
        c.WriteBytes(data);
        c.Complete(w);
    }

    /// <summary>SASLResponse: the client-final-message.</summary>
    public static void WriteSaslResponse(IBufferWriter<byte> w, ReadOnlySpan<byte> data)
    {
        int length = 4 + data.Length;                     // length, data
        var c = SpanWriter.BeginMessage(w, FrontendMessageType.PasswordMessage, length);
        c.WriteBytes(data);
        c.Complete(w);
    }
}
