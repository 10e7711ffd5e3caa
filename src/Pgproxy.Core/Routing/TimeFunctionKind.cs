namespace Pgproxy.Core.Routing;

/// <summary>Which current-time expression a <see cref="TimeFunctionSpan"/> covers.</summary>
internal enum TimeFunctionKind : byte
{
    /// <summary><c>now()</c> or <c>pg_catalog.now()</c>.</summary>
    Now,

    /// <summary><c>CURRENT_TIMESTAMP [(p)]</c>.</summary>
    CurrentTimestamp,

    /// <summary><c>CURRENT_DATE</c>.</summary>
    CurrentDate,

    /// <summary><c>CURRENT_TIME [(p)]</c>.</summary>
    CurrentTime,

    /// <summary><c>LOCALTIME [(p)]</c>.</summary>
    LocalTime,

    /// <summary><c>LOCALTIMESTAMP [(p)]</c>.</summary>
    LocalTimestamp,

    /// <summary><c>transaction_timestamp()</c>.</summary>
    TransactionTimestamp,

    /// <summary>
    /// The string literal <c>'now'</c> cast to a date/time type. The span covers the literal, or for a typed literal
    /// (<c>timestamp 'now'</c>) the type name too (<see cref="TimeFunctionSpan.TypeLength"/>).
    /// </summary>
    NowLiteral,

    /// <summary><c>'today'</c> as a date/time value: midnight at the start of main's day in the session's time zone.</summary>
    TodayLiteral,

    /// <summary><c>'tomorrow'</c>: midnight a day after <see cref="TodayLiteral"/>.</summary>
    TomorrowLiteral,

    /// <summary><c>'yesterday'</c>: midnight a day before <see cref="TodayLiteral"/>.</summary>
    YesterdayLiteral,
}
