namespace Pgproxy.Core.Routing;

/// <summary>
/// Where a current-time expression sits in the original query text (UTF-16 offsets), and its precision
/// (<c>CURRENT_TIMESTAMP(3)</c> → 3; -1 when none was written).
/// </summary>
internal readonly record struct TimeFunctionSpan(int Start, int Length, TimeFunctionKind Kind, int Precision);
