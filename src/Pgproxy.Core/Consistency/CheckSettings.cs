namespace Pgproxy.Core.Consistency;

/// <summary>
/// How hard a check may press on the nodes: <paramref name="RowsPerSecond"/> per node (0 = no limit;
/// consistency_check_rows_per_second), rows per key-range chunk, and how many differing keys are listed per range.
/// </summary>
internal sealed record CheckSettings(long RowsPerSecond, int ChunkRows = 10_000, int MaxKeysListed = 20);
