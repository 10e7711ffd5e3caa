using System.Globalization;
using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>SHOW POOL_CHECK</c>: the running consistency check, else the last one. The first row sums the run up
/// (database and table empty; verdict = running, identical, differs or failed; detail = the summary or the reason
/// it could not check); then one row per finding, then one per table and node still being read (checking), found the same (same), or main's own (main).
/// The CLI reads the first row for its progress bar and exit code, and the findings for its report.
/// </summary>
internal static class PoolCheckReport
{
    public static readonly string[] Columns =
    [
        "run_id", "state", "database", "table", "node_id", "rows_done", "rows_total", "elapsed", "verdict", "detail",
    ];

    public static (IReadOnlyList<string>, List<string?[]>) Rows(IAdminServices services)
    {
        var rows = new List<string?[]>();
        if (services.Checks?.Latest is not { } run)
        {
            return (Columns, rows);
        }

        var id = Invariant(run.Id);
        var state = StateName(run.State);
        var (done, total) = run.Progress.Totals();
        var elapsed = (run.FinishedAt ?? services.Time.GetUtcNow()) - run.StartedAt;
        rows.Add([id, state, "", "", string.Join(",", run.NodeIds), Invariant(done), Invariant(total), Seconds(elapsed),
            state, run.Summary()]);

        var findings = run.Findings;
        var progress = run.Progress.Rows();
        foreach (var finding in findings)
        {
            var read = progress.FirstOrDefault(p => p.Database == finding.Database && p.Relation == finding.Relation
                                                                                   && p.NodeId == finding.NodeId);
            var detail = finding.Detail
                         + (finding.Ranges.Count > 0 ? "; ranges: " + string.Join(", ", finding.Ranges) : "")
                         + (finding.Keys.Count > 0 ? "; keys: " + string.Join(", ", finding.Keys) : "");
            rows.Add([id, state, finding.Database, finding.Relation, Invariant(finding.NodeId),
                read is null ? "" : Invariant(read.RowsDone), read is null ? "" : Invariant(read.RowsTotal),
                read is null ? "" : Seconds(read.Elapsed), CheckVerdicts.Of(finding), detail]);
        }

        foreach (var read in progress)
        {
            if (findings.Any(f => f.Database == read.Database && f.Relation == read.Relation && f.NodeId == read.NodeId))
            {
                continue;
            }

            rows.Add([id, state, read.Database, read.Relation, Invariant(read.NodeId), Invariant(read.RowsDone),
                Invariant(read.RowsTotal), Seconds(read.Elapsed),
                !read.Finished ? "checking" : run.NodeIds.Count > 0 && read.NodeId == run.NodeIds[0] ? "main" : CheckVerdicts.Same,
                ""]);
        }

        return (Columns, rows);
    }

    public static string StateName(CheckState state) => state switch
    {
        CheckState.Running => "running",
        CheckState.Identical => "identical",
        CheckState.Differs => "differs",
        _ => "failed",
    };

    private static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
