using System.Globalization;
using System.Numerics;

namespace Pgproxy.Core.Consistency;

/// <summary>What one node holds in one key range: its row count and the sum of its row hashes.</summary>
internal readonly record struct RangeDigest(long Rows, BigInteger Hash)
{
    /// <summary>Reads the one row of <see cref="TableQueries.RangeHash"/>: count and sum as text.</summary>
    public static RangeDigest Parse(IReadOnlyList<string?[]> rows) =>
        new(long.Parse(rows[0][0]!, CultureInfo.InvariantCulture),
            BigInteger.Parse(rows[0][1]!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
}
