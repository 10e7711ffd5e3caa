using System.Text;
using Pgproxy.Protocol.Framing;
using Codes = Pgproxy.Protocol.Messages.SqlState;

namespace Pgproxy.Protocol.Backend;

/// <summary>
/// The fields of an ErrorResponse ('E') or NoticeResponse ('N') the proxy needs for decisions and logs. The body is a
/// list of (field-type byte, string) ended by a zero byte; fields the proxy does not use are skipped.
/// </summary>
public sealed class ErrorResponseMessage
{
    /// <summary>Field type of the localized severity.</summary>
    public const byte SeverityField = (byte)'S';

    /// <summary>Field type of the non-localized severity (PostgreSQL 9.6+), preferred for decisions.</summary>
    public const byte NonLocalizedSeverityField = (byte)'V';

    public const byte SqlStateField = (byte)'C';
    public const byte MessageField = (byte)'M';
    public const byte DetailField = (byte)'D';
    public const byte HintField = (byte)'H';

    private static readonly string[] WellKnownSqlStates =
    [
        Codes.ProtocolViolation, Codes.ConnectionFailure, Codes.ConnectionException,
        Codes.SqlClientUnableToEstablishConnection, Codes.TooManyConnections, Codes.AdminShutdown,
        Codes.CrashShutdown, Codes.CannotConnectNow, Codes.IdleSessionTimeout, Codes.QueryCanceled,
        Codes.InvalidAuthorizationSpecification, Codes.InvalidPassword, Codes.FeatureNotSupported,
        Codes.InvalidParameterValue, Codes.ConfigFileError, Codes.InternalError, Codes.UndefinedObject,
        Codes.InvalidCatalogName, Codes.SyntaxError,
    ];

    /// <summary>'V' when present, else 'S' (e.g. "ERROR", "FATAL"); "" when neither is sent.</summary>
    public string Severity { get; init; } = "";

    /// <summary>The SQLSTATE code ('C'); "" when absent.</summary>
    public string SqlState { get; init; } = "";

    /// <summary>The primary message ('M'); "" when absent.</summary>
    public string Message { get; init; } = "";

    public string? Detail { get; init; }

    public string? Hint { get; init; }

    /// <summary>Decodes the fields of a complete body; throws <see cref="ProtocolViolationException"/> when
    /// malformed.</summary>
    public static ErrorResponseMessage Parse(ReadOnlySpan<byte> body)
    {
        string? severity = null;
        string? nonLocalizedSeverity = null;
        string? sqlState = null;
        string? message = null;
        string? detail = null;
        string? hint = null;
        int offset = 0;
        while (true)
        {
            byte field = ReadFieldType(body, ref offset);
            if (field == 0)
            {
                break;
            }

            ReadOnlySpan<byte> value = CStringReader.ReadBytes(body, ref offset, "ErrorResponse");
            switch (field)
            {
                case SeverityField: severity = Encoding.UTF8.GetString(value); break;
                case NonLocalizedSeverityField: nonLocalizedSeverity = Encoding.UTF8.GetString(value); break;
                case SqlStateField: sqlState = DecodeSqlState(value); break;
                case MessageField: message = Encoding.UTF8.GetString(value); break;
                case DetailField: detail = Encoding.UTF8.GetString(value); break;
                case HintField: hint = Encoding.UTF8.GetString(value); break;
            }
        }

        return new ErrorResponseMessage
        {
            Severity = nonLocalizedSeverity ?? severity ?? "",
            SqlState = sqlState ?? "",
            Message = message ?? "",
            Detail = detail,
            Hint = hint,
        };
    }

    /// <summary>
    /// The SQLSTATE alone, or null when the body has none. Allocates nothing for the codes in
    /// <see cref="Codes"/> (their interned constants are returned) and only the returned string otherwise. Scans
    /// only up to the field, so damage after it goes unnoticed (use <see cref="Parse"/> to validate the whole body).
    /// </summary>
    public static string? ReadSqlState(ReadOnlySpan<byte> body) =>
        TryFindField(body, SqlStateField, out ReadOnlySpan<byte> value) ? DecodeSqlState(value) : null;

    /// <summary>
    /// Finds the first field of type <paramref name="fieldType"/> and returns its bytes (a slice of
    /// <paramref name="body"/>, no allocation). Throws <see cref="ProtocolViolationException"/> when malformed.
    /// </summary>
    public static bool TryFindField(ReadOnlySpan<byte> body, byte fieldType, out ReadOnlySpan<byte> value)
    {
        int offset = 0;
        while (true)
        {
            byte field = ReadFieldType(body, ref offset);
            if (field == 0)
            {
                value = default;
                return false;
            }

            ReadOnlySpan<byte> current = CStringReader.ReadBytes(body, ref offset, "ErrorResponse");
            if (field == fieldType)
            {
                value = current;
                return true;
            }
        }
    }

    private static byte ReadFieldType(ReadOnlySpan<byte> body, ref int offset)
    {
        if (offset >= body.Length)
        {
            CStringReader.ThrowMalformed("ErrorResponse");
        }

        return body[offset++];
    }

    private static string DecodeSqlState(ReadOnlySpan<byte> value)
    {
        foreach (string known in WellKnownSqlStates)
        {
            if (AsciiEquals(value, known))
            {
                return known;
            }
        }

        return Encoding.UTF8.GetString(value);
    }

    private static bool AsciiEquals(ReadOnlySpan<byte> bytes, string text)
    {
        if (bytes.Length != text.Length)
        {
            return false;
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }
}
