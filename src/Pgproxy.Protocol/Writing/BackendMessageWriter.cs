using System.Buffers;
using System.Text;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Writing;

/// <summary>
/// Writes the server-to-client messages the proxy originates itself (authentication, errors, admin results).
/// Bytes relayed from backends are forwarded untouched and never pass through here. Each method computes the
/// length first, then writes one field per line (PostgreSQL protocol docs, "Message Formats").
/// </summary>
public static class BackendMessageWriter
{
    private const byte Authentication = (byte)BackendMessageType.AuthenticationRequest;

    /// <summary>Type OID of <c>text</c>: admin result columns are all text.</summary>
    private const int TextTypeOid = 25;

    public static void WriteAuthenticationOk(IBufferWriter<byte> w) =>
        WriteAuthenticationCode(w, AuthenticationCode.Ok);

    public static void WriteAuthenticationCleartextPassword(IBufferWriter<byte> w) =>
        WriteAuthenticationCode(w, AuthenticationCode.CleartextPassword);

    /// <summary>AuthenticationMD5Password with the 4-byte salt the client must hash with.</summary>
    public static void WriteAuthenticationMd5Password(IBufferWriter<byte> w, ReadOnlySpan<byte> salt4)
    {
        if (salt4.Length != 4)
        {
            throw new ArgumentException("The MD5 salt is exactly 4 bytes.", nameof(salt4));
        }

        int length = 4 + 4 + 4;                           // length, code, salt
        var c = SpanWriter.BeginMessage(w, Authentication, length);
        c.WriteInt32(AuthenticationCode.Md5Password);
        c.WriteBytes(salt4);
        c.Complete(w);
    }

    /// <summary>AuthenticationSASL: the mechanisms offered, as strings ended by an empty string.</summary>
    public static void WriteAuthenticationSasl(IBufferWriter<byte> w, IEnumerable<string> mechanisms)
    {
        ArgumentNullException.ThrowIfNull(mechanisms);
        int length = 4 + 4 + 1;                           // length, code, final terminator
        foreach (string mechanism in mechanisms)
        {
            length += SpanWriter.CStringLength(mechanism); // each mechanism name
        }

        var c = SpanWriter.BeginMessage(w, Authentication, length);
        c.WriteInt32(AuthenticationCode.Sasl);
        foreach (string mechanism in mechanisms)
        {
            c.WriteCString(mechanism);
        }

        c.WriteByte(0);
        c.Complete(w);
    }

    /// <summary>AuthenticationSASLContinue carrying the server-first-message.</summary>
    public static void WriteAuthenticationSaslContinue(IBufferWriter<byte> w, ReadOnlySpan<byte> data) =>
        WriteAuthenticationData(w, AuthenticationCode.SaslContinue, data);

    /// <summary>AuthenticationSASLFinal carrying the server-final-message.</summary>
    public static void WriteAuthenticationSaslFinal(IBufferWriter<byte> w, ReadOnlySpan<byte> data) =>
        WriteAuthenticationData(w, AuthenticationCode.SaslFinal, data);

    public static void WriteParameterStatus(IBufferWriter<byte> w, string name, string value)
    {
        int length = 4                                    // length
            + SpanWriter.CStringLength(name)              // parameter name
            + SpanWriter.CStringLength(value);            // parameter value
        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.ParameterStatus, length);
        c.WriteCString(name);
        c.WriteCString(value);
        c.Complete(w);
    }

    public static void WriteBackendKeyData(IBufferWriter<byte> w, int processId, int secretKey)
    {
        int length = 4 + 4 + 4;                           // length, process id, secret key
        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.BackendKeyData, length);
        c.WriteInt32(processId);
        c.WriteInt32(secretKey);
        c.Complete(w);
    }

    public static void WriteReadyForQuery(IBufferWriter<byte> w, TransactionStatus status)
    {
        int length = 4 + 1;                               // length, transaction status
        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.ReadyForQuery, length);
        c.WriteByte((byte)status);
        c.Complete(w);
    }

    /// <summary>
    /// ErrorResponse with fields S and V (same severity: the proxy does not localize), C, M, then D and H when
    /// given.
    /// </summary>
    public static void WriteErrorResponse(IBufferWriter<byte> w, string severity, string sqlState, string message,
        string? detail = null, string? hint = null) =>
        WriteErrorOrNotice(w, (byte)BackendMessageType.ErrorResponse, severity, sqlState, message, detail, hint);

    /// <summary>NoticeResponse; same layout as <see cref="WriteErrorResponse"/>.</summary>
    public static void WriteNoticeResponse(IBufferWriter<byte> w, string severity, string sqlState, string message,
        string? detail = null) =>
        WriteErrorOrNotice(w, (byte)BackendMessageType.NoticeResponse, severity, sqlState, message, detail, null);

    /// <summary>
    /// NegotiateProtocolVersion: the newest 3.x minor the proxy supports and the <c>_pq_.</c> options it did not
    /// recognize.
    /// </summary>
    public static void WriteNegotiateProtocolVersion(IBufferWriter<byte> w, int newestMinorSupported,
        IReadOnlyList<string> unsupportedOptions)
    {
        ArgumentNullException.ThrowIfNull(unsupportedOptions);
        int length = 4 + 4 + 4;                           // length, newest minor, option count
        foreach (string option in unsupportedOptions)
        {
            length += SpanWriter.CStringLength(option);   // each unrecognized option name
        }

        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.NegotiateProtocolVersion, length);
        c.WriteInt32(newestMinorSupported);
        c.WriteInt32(unsupportedOptions.Count);
        foreach (string option in unsupportedOptions)
        {
            c.WriteCString(option);
        }

        c.Complete(w);
    }

    /// <summary>
    /// RowDescription for a result whose columns are all <c>text</c> in text format, not tied to a table (the
    /// admin commands' results).
    /// </summary>
    public static void WriteRowDescription(IBufferWriter<byte> w, IReadOnlyList<string> columnNames)
    {
        ArgumentNullException.ThrowIfNull(columnNames);
        int length = 4 + 2;                               // length, column count
        foreach (string name in columnNames)
        {
            length += SpanWriter.CStringLength(name)      // column name
                + 4 + 2 + 4 + 2 + 4 + 2;                  // table oid, attnum, type oid, typlen, typmod, format
        }

        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.RowDescription, length);
        c.WriteInt16(checked((short)columnNames.Count));
        foreach (string name in columnNames)
        {
            c.WriteCString(name);
            c.WriteInt32(0);                              // table oid: not a table column
            c.WriteInt16(0);                              // attribute number: not a table column
            c.WriteInt32(TextTypeOid);                    // type oid
            c.WriteInt16(-1);                             // typlen: variable length
            c.WriteInt32(-1);                             // typmod: none
            c.WriteInt16(0);                              // format code: text
        }

        c.Complete(w);
    }

    /// <summary>DataRow of text values; a null value is written as length -1 (SQL NULL).</summary>
    public static void WriteDataRow(IBufferWriter<byte> w, IReadOnlyList<string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int length = 4 + 2;                               // length, column count
        foreach (string? value in values)
        {
            length += 4                                   // value length
                + (value is null ? 0 : Encoding.UTF8.GetByteCount(value)); // value bytes, no terminator
        }

        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.DataRow, length);
        c.WriteInt16(checked((short)values.Count));
        foreach (string? value in values)
        {
            if (value is null)
            {
                c.WriteInt32(-1);
            }
            else
            {
                c.WriteInt32(Encoding.UTF8.GetByteCount(value));
                c.WriteUtf8(value);
            }
        }

        c.Complete(w);
    }

    public static void WriteCommandComplete(IBufferWriter<byte> w, string tag)
    {
        int length = 4 + SpanWriter.CStringLength(tag);   // length, command tag
        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.CommandComplete, length);
        c.WriteCString(tag);
        c.Complete(w);
    }

    public static void WriteEmptyQueryResponse(IBufferWriter<byte> w)
    {
        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.EmptyQueryResponse, 4); // length only
        c.Complete(w);
    }

    public static void WriteNotificationResponse(IBufferWriter<byte> w, int pid, string channel, string payload)
    {
        int length = 4 + 4                                // length, notifying process id
            + SpanWriter.CStringLength(channel)           // channel name
            + SpanWriter.CStringLength(payload);          // payload
        var c = SpanWriter.BeginMessage(w, (byte)BackendMessageType.NotificationResponse, length);
        c.WriteInt32(pid);
        c.WriteCString(channel);
        c.WriteCString(payload);
        c.Complete(w);
    }

    /// <summary>The single untyped byte 'N' answering SSLRequest or GSSENCRequest when encryption is refused.</summary>
    public static void WriteSslRefused(IBufferWriter<byte> w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.GetSpan(1)[0] = (byte)'N';
        w.Advance(1);
    }

    /// <summary>The single untyped byte 'S' answering SSLRequest: the TLS handshake comes next.</summary>
    public static void WriteSslAccepted(IBufferWriter<byte> w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.GetSpan(1)[0] = (byte)'S';
        w.Advance(1);
    }

    private static void WriteAuthenticationCode(IBufferWriter<byte> w, int code)
    {
        var c = SpanWriter.BeginMessage(w, Authentication, 4 + 4); // length, code
        c.WriteInt32(code);
        c.Complete(w);
    }

    private static void WriteAuthenticationData(IBufferWriter<byte> w, int code, ReadOnlySpan<byte> data)
    {
        int length = 4 + 4 + data.Length;                 // length, code, SASL data
        var c = SpanWriter.BeginMessage(w, Authentication, length);
        c.WriteInt32(code);
        c.WriteBytes(data);
        c.Complete(w);
    }

    private static void WriteErrorOrNotice(IBufferWriter<byte> w, byte type, string severity, string sqlState,
        string message, string? detail, string? hint)
    {
        int length = 4                                    // length
            + 1 + SpanWriter.CStringLength(severity)      // S: severity (localized)
            + 1 + SpanWriter.CStringLength(severity)      // V: severity (never localized)
            + 1 + SpanWriter.CStringLength(sqlState)      // C: SQLSTATE
            + 1 + SpanWriter.CStringLength(message)       // M: message
            + (detail is null ? 0 : 1 + SpanWriter.CStringLength(detail)) // D: detail
            + (hint is null ? 0 : 1 + SpanWriter.CStringLength(hint))     // H: hint
            + 1;                                          // terminator
        var c = SpanWriter.BeginMessage(w, type, length);
        WriteField(ref c, (byte)'S', severity);
        WriteField(ref c, (byte)'V', severity);
        WriteField(ref c, (byte)'C', sqlState);
        WriteField(ref c, (byte)'M', message);
        if (detail is not null)
        {
            WriteField(ref c, (byte)'D', detail);
        }

        if (hint is not null)
        {
            WriteField(ref c, (byte)'H', hint);
        }

        c.WriteByte(0);
        c.Complete(w);
    }

    private static void WriteField(ref SpanWriter c, byte field, string value)
    {
        c.WriteByte(field);
        c.WriteCString(value);
    }
}
