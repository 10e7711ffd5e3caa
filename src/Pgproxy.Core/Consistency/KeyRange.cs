namespace Pgproxy.Core.Consistency;

/// <summary>
/// A half-open range of primary-key values, <c>[Low, High)</c> in key order, each bound one text value per key
/// column as main printed it; a null bound is open (the first range has no lower bound, the last no upper).
/// </summary>
internal sealed record KeyRange(IReadOnlyList<string>? Low, IReadOnlyList<string>? High)
{
    /// <summary>The range's place among the table's chunks, in key order.</summary>
    public int Ordinal { get; init; }

    /// <summary>How a finding names the range: <c>(id) [1001, 2001)</c>, <c>(a, b) [(1, x), +inf)</c>.</summary>
    public string Describe(IReadOnlyList<CatalogColumn> key)
    {
        var columns = "(" + string.Join(", ", key.Select(c => c.Name)) + ")";
        var low = Low is null ? "(-inf" : "[" + Bound(Low);
        var high = High is null ? "+inf)" : Bound(High) + ")";
        return $"{columns} {low}, {high}";
    }

    /// <summary>
    /// The WHERE clause selecting the range (empty when open at both ends). Row comparison orders composite keys the
    /// way ORDER BY k1, k2 does, so the ranges tile the table with no gap and no overlap.
    /// </summary>
    public string Where(IReadOnlyList<CatalogColumn> key)
    {
        var columns = "(" + string.Join(", ", key.Select(c => c.Name)) + ")";
        var conditions = new List<string>(2);
        if (Low is not null)
        {
            conditions.Add($"{columns} >= {Literal(Low, key)}");
        }

        if (High is not null)
        {
            conditions.Add($"{columns} < {Literal(High, key)}");
        }

        return conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
    }

    /// <summary>One key as a finding lists it: <c>id=17</c>, or <c>(a, b)=(1, x)</c> for a composite key.</summary>
    public static string DescribeKey(IReadOnlyList<CatalogColumn> key, IReadOnlyList<string> values) =>
        key.Count == 1
            ? $"{key[0].Name}={values[0]}"
            : "(" + string.Join(", ", key.Select(c => c.Name)) + ")=" + Bound(values);

    private static string Bound(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : "(" + string.Join(", ", values) + ")";

    private static string Literal(IReadOnlyList<string> values, IReadOnlyList<CatalogColumn> key) =>
        "(" + string.Join(", ", values.Select((v, i) => SqlLiteral.Cast(v, key[i].BaseType))) + ")";
}
