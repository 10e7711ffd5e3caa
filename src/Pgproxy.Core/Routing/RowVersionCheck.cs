namespace Pgproxy.Core.Routing;

/// <summary>
/// A comparison of a row's <c>xmin</c> with a value in an UPDATE's or DELETE's WHERE (<c>xmin = $2</c>, as EF Core
/// checks its concurrency token): where it sits in the original text (UTF-16 offsets), from the column (or its
/// qualifier) to the value.
/// </summary>
internal readonly record struct RowVersionCheck(int Start, int Length)
{
    public int End => Start + Length;
}
