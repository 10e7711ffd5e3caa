using System.Globalization;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>SHOW POOL_RECOVERY</c>: the running recovery, else the last one, in one row (none before the first): the node,
/// running / succeeded / failed, the phase, tables and bytes copied, the lag in bytes of main's WAL, the longest
/// pause the cutover held commits, and the detail or the error. The CLI follows it for its progress bar.
/// </summary>
internal static class PoolRecoveryReport
{
    public static readonly string[] Columns =
    [
        "node_id", "state", "phase", "tables_copied", "tables_total", "bytes_copied", "lag_bytes", "started",
        "elapsed", "cutover_pause_ms", "detail",
    ];

    public static (IReadOnlyList<string>, List<string?[]>) Rows(IAdminServices services)
    {
        var rows = new List<string?[]>();
        if (services.Recoveries?.Latest is not { } run)
        {
            return (Columns, rows);
        }

        var progress = run.Progress;
        rows.Add(
        [
            Invariant(run.Request.NodeId), run.State, progress.Phase, Invariant(progress.TablesCopied),
            Invariant(progress.TablesTotal), Invariant(progress.BytesCopied), Invariant(progress.LagBytes),
            progress.StartedAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "",
            progress.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture),
            run.Outcome is { } outcome
                ? outcome.LongestCutoverPause.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)
                : "",
            run.Error ?? progress.LastError ?? progress.Detail,
        ]);
        return (Columns, rows);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
