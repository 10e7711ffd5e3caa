namespace Pgproxy.Core.Consistency;

/// <summary>
/// One node's side of a common cut in one database: every query runs inside the same REPEATABLE READ READ ONLY
/// transaction, whose snapshot was taken while the write gate was closed, with output settings fixed alike on every
/// node (TimeZone UTC, DateStyle ISO, IntervalStyle postgres, extra_float_digits 1, bytea_output hex, an empty
/// search_path — so every name in a query is qualified).
/// </summary>
internal interface ISnapshotQuery
{
    int NodeId { get; }

    /// <summary>The rows of one simple query, each value as text (null for SQL NULL).</summary>
    Task<IReadOnlyList<string?[]>> QueryAsync(string sql, CancellationToken cancellationToken);
}
