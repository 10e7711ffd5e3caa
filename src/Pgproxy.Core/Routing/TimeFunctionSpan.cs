namespace Pgproxy.Core.Routing;

/// <summary>
/// Where a current-time expression sits in the original query text (UTF-16 offsets), and its precision
/// (<c>CURRENT_TIMESTAMP(3)</c> → 3; -1 when none was written). For a typed literal (<c>timestamp(3) 'now'</c>)
/// the span begins at the type name and <paramref name="TypeLength"/> is how much of it precedes the string.
/// </summary>
internal readonly record struct TimeFunctionSpan(int Start, int Length, TimeFunctionKind Kind, int Precision,
    int TypeLength = 0);
