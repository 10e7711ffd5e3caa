using System.Globalization;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Consistency;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Operations;

namespace Pgproxy.Core.Prometheus;

/// <summary>
/// Everything the metrics endpoint shows, gathered when it is scraped: the counters sessions keep (increments
/// only) are read here, percentiles are computed here, the sessions and the connection cache are walked here.
/// Nothing of this runs on the query path.
/// </summary>
internal static class MetricsReport
{
    /// <summary>The quantiles of the latency summaries.</summary>
    public static readonly double[] Quantiles = [0.5, 0.9, 0.99];

    private static readonly BackendStatus[] Statuses = [BackendStatus.Up, BackendStatus.Waiting, BackendStatus.Down];

    public static string Build(IMetricsSources sources)
    {
        var writer = new PrometheusTextWriter();
        var metrics = sources.Metrics;
        writer.Family("pgproxy_info", "gauge", "pgproxy's version (the value is always 1).")
            .Sample("pgproxy_info", 1, ("version", ProductInfo.Version));
        writer.Family("pgproxy_start_time_seconds", "gauge", "When pgproxy started, in seconds since the Unix epoch.")
            .Sample("pgproxy_start_time_seconds", sources.StartedAt.ToUnixTimeMilliseconds() / 1000.0);
        writer.Family("pgproxy_sessions_current", "gauge",
                "Client connections open now, including those still authenticating.")
            .Sample("pgproxy_sessions_current", metrics.SessionsCurrent);
        writer.Family("pgproxy_sessions_total", "counter", "Client connections accepted since pgproxy started.")
            .Sample("pgproxy_sessions_total", metrics.SessionsTotal);
        writer.Family("pgproxy_client_slots_in_use", "gauge", "Client slots taken (at most num_init_children).")
            .Sample("pgproxy_client_slots_in_use", sources.ClientSlotsInUse);
        writer.Family("pgproxy_client_slots_max", "gauge", "num_init_children: the most clients served at once.")
            .Sample("pgproxy_client_slots_max", sources.Options.NumInitChildren);

        var twoPhase = sources.TwoPhase;
        writer.Family("pgproxy_commits_total", "counter",
                "Transactions that wrote on several nodes, by how they committed: two_phase, or one_phase where "
                + "PostgreSQL cannot prepare them (LISTEN/NOTIFY, WITH HOLD cursors, temporary objects).")
            .Sample("pgproxy_commits_total", twoPhase.TwoPhaseCommits, ("mode", "two_phase"))
            .Sample("pgproxy_commits_total", twoPhase.OnePhaseCommits, ("mode", "one_phase"));
        writer.Family("pgproxy_prepared_transactions_resolved_total", "counter",
                "Prepared transactions a crash left, ended as main decided.")
            .Sample("pgproxy_prepared_transactions_resolved_total", twoPhase.ResolvedCommitted, ("outcome", "committed"))
            .Sample("pgproxy_prepared_transactions_resolved_total", twoPhase.ResolvedRolledBack,
                ("outcome", "rolled_back"));
        writer.Family("pgproxy_prepare_slot_waits_total", "counter",
                "Two-phase commits that waited because a node held as many of pgproxy's prepared transactions as its "
                + "max_prepared_transactions allows.")
            .Sample("pgproxy_prepare_slot_waits_total", twoPhase.Slots.Waits);

        writer.Family("pgproxy_schema_changes_numbered_apart_total", "counter",
                "Autocommit schema changes whose nodes drew other OIDs while they ran: rolled back and run again, or, "
                + "on their last run, committed with objects that may have other OIDs on some node.")
            .Sample("pgproxy_schema_changes_numbered_apart_total", sources.CatalogWrites.RanAgain,
                ("outcome", "ran_again"))
            .Sample("pgproxy_schema_changes_numbered_apart_total", sources.CatalogWrites.CommittedApart,
                ("outcome", "committed"));

        writer.Family("pgproxy_row_count_reruns_total", "counter",
                "Autocommit writes whose nodes affected different numbers of rows: rolled back and run again (a race "
                + "with a commit landing on one node first), or differing in every run and then failed or failed over.")
            .Sample("pgproxy_row_count_reruns_total", sources.Reruns.RanAgain, ("outcome", "ran_again"))
            .Sample("pgproxy_row_count_reruns_total", sources.Reruns.DifferedEveryRun,
                ("outcome", "differed_every_run"));
        writer.Family("pgproxy_snapshot_reruns_total", "counter",
                "Autocommit writes that read other rows in a REPEATABLE READ snapshot shared across the nodes, met a "
                + "row changed since (40001), and ran again on a new snapshot.")
            .Sample("pgproxy_snapshot_reruns_total", sources.Reruns.SerializationRanAgain);

        WriteConsistency(writer, sources);
        WriteConnections(writer, sources);
        WriteNodes(writer, sources);
        WriteLatency(writer, metrics);
        ProcessMetrics.Write(writer);
        return writer.ToString();
    }

    private static void WriteConnections(PrometheusTextWriter writer, IMetricsSources sources)
    {
        var idle = sources.Pool.IdleSnapshot().GroupBy(c => c.NodeId).ToDictionary(g => g.Key, g => g.Count());
        var inUse = sources.SessionBackends.SelectMany(b => b).Where(b => !b.IsBroken)
            .GroupBy(b => b.NodeId).ToDictionary(g => g.Key, g => g.Count());
        writer.Family("pgproxy_backend_connections", "gauge",
            "Connections to each node: in use by a client session, or idle in the connection cache.");
        foreach (var node in sources.Nodes.Nodes)
        {
            var id = Id(node);
            writer.Sample("pgproxy_backend_connections", inUse.GetValueOrDefault(node.NodeId),
                    ("node", id), ("state", "in_use"))
                .Sample("pgproxy_backend_connections", idle.GetValueOrDefault(node.NodeId),
                    ("node", id), ("state", "idle"));
        }
    }

    private static void WriteNodes(PrometheusTextWriter writer, IMetricsSources sources)
    {
        var nodes = sources.Nodes.Nodes;
        var main = sources.Nodes.MainNode;
        writer.Family("pgproxy_node_status", "gauge",
            "1 for the node's current status (up, waiting: not connected to yet, down: detached), 0 for the others.");
        foreach (var node in nodes)
        {
            foreach (var status in Statuses)
            {
                writer.Sample("pgproxy_node_status", node.Status == status ? 1 : 0, ("node", Id(node)),
                    ("hostname", node.Config.Hostname),
                    ("port", node.Config.Port.ToString(CultureInfo.InvariantCulture)),
                    ("status", BackendStatsReport.StatusName(status)));
            }
        }

        writer.Family("pgproxy_node_main", "gauge", "1 for the main node (the live node with the lowest id).");
        foreach (var node in nodes)
        {
            writer.Sample("pgproxy_node_main", node == main ? 1 : 0, ("node", Id(node)));
        }

        writer.Family("pgproxy_statements_total", "counter",
            "Requests sent to each node by the replication session, by how they were routed.");
        foreach (var node in nodes)
        {
            for (var c = 0; c < StatementClasses.Count; c++)
            {
                writer.Sample("pgproxy_statements_total", node.Statistics.Statements((StatementClass)c),
                    ("node", Id(node)), ("class", StatementClasses.Labels[c]));
            }
        }

        writer.Family("pgproxy_node_commands_total", "counter",
            "Statements each node completed, by the first word of their CommandComplete tag " +
            "(SHOW POOL_BACKEND_STATS).");
        foreach (var node in nodes)
        {
            var stats = node.Statistics;
            (string Command, long Count)[] commands =
            [
                ("select", stats.SelectCount), ("insert", stats.InsertCount), ("update", stats.UpdateCount),
                ("delete", stats.DeleteCount), ("ddl", stats.DdlCount), ("other", stats.OtherCount),
            ];
            foreach (var (command, count) in commands)
            {
                writer.Sample("pgproxy_node_commands_total", count, ("node", Id(node)), ("command", command));
            }
        }

        writer.Family("pgproxy_node_errors_total", "counter", "Error responses from each node, by severity.");
        foreach (var node in nodes)
        {
            var stats = node.Statistics;
            writer.Sample("pgproxy_node_errors_total", stats.ErrorCount, ("node", Id(node)), ("severity", "error"))
                .Sample("pgproxy_node_errors_total", stats.FatalCount, ("node", Id(node)), ("severity", "fatal"))
                .Sample("pgproxy_node_errors_total", stats.PanicCount, ("node", Id(node)), ("severity", "panic"));
        }

        writer.Family("pgproxy_node_degenerations_total", "counter",
            "Times each node was taken down: failed, diverged or detached by an administrator.");
        foreach (var node in nodes)
        {
            writer.Sample("pgproxy_node_degenerations_total", node.Statistics.Degenerations, ("node", Id(node)));
        }
    }

    /// <summary>
    /// One summary per statement class, over every request since start: p50, p90 and p99 from the log-scale
    /// buckets (each within 12.5% above the true value), the sum and the count.
    /// </summary>
    private static void WriteLatency(PrometheusTextWriter writer, ProxyMetrics metrics)
    {
        const string name = "pgproxy_statement_duration_seconds";
        writer.Family(name, "summary",
            "Time from a request taken from the client to its ReadyForQuery written back, by how it was routed " +
            "(replication mode), since pgproxy started.");
        for (var c = 0; c < StatementClasses.Count; c++)
        {
            var label = ("class", StatementClasses.Labels[c]);
            var snapshot = metrics.Latency((StatementClass)c).Snapshot();
            foreach (var q in Quantiles)
            {
                var micros = snapshot.Quantile(q);
                writer.Sample(name, micros is { } value ? value / 1e6 : double.NaN, label,
                    ("quantile", q.ToString("R", CultureInfo.InvariantCulture)));
            }

            writer.Sample(name + "_sum", snapshot.SumMicroseconds / 1e6, label)
                .Sample(name + "_count", snapshot.Count, label);
        }
    }

    /// <summary>The consistency checks and the write gate they close (DESIGN §5).</summary>
    private static void WriteConsistency(PrometheusTextWriter writer, IMetricsSources sources)
    {
        if (sources.Checks is { } checks)
        {
            var outcomes = checks.Outcomes;
            writer.Family("pgproxy_consistency_checks_total", "counter",
                    "Consistency checks ended since start, by outcome: identical, differs, failed (could not check).")
                .Sample("pgproxy_consistency_checks_total", Interlocked.Read(ref outcomes[1]), ("outcome", "identical"))
                .Sample("pgproxy_consistency_checks_total", Interlocked.Read(ref outcomes[2]), ("outcome", "differs"))
                .Sample("pgproxy_consistency_checks_total", Interlocked.Read(ref outcomes[3]), ("outcome", "failed"));
            var last = checks.Latest is { State: not CheckState.Running } done ? done : null;
            writer.Family("pgproxy_consistency_check_last_run_timestamp_seconds", "gauge",
                    "When the last consistency check ended (Unix time); 0 before the first.")
                .Sample("pgproxy_consistency_check_last_run_timestamp_seconds",
                    last?.FinishedAt?.ToUnixTimeSeconds() ?? 0L);
            writer.Family("pgproxy_consistency_check_tables_differing", "gauge",
                    "Tables (and databases, sequences) the last consistency check found different from main.")
                .Sample("pgproxy_consistency_check_tables_differing",
                    (long)(last?.DifferingTables().Count ?? 0));
        }

        var gate = sources.WriteGate;
        WriteSummary(writer, "pgproxy_write_gate_closed_seconds",
            "How long each closing of the write gate held commits (a check's or a recovery's common cut).",
            gate.Closures.Snapshot());
        WriteSummary(writer, "pgproxy_write_gate_wait_seconds",
            "How long each commit that met the closed write gate waited there: the pause a client saw.",
            gate.Waits.Snapshot());
    }

    private static void WriteSummary(PrometheusTextWriter writer, string name, string help, LatencySnapshot snapshot)
    {
        writer.Family(name, "summary", help);
        foreach (var q in Quantiles)
        {
            var micros = snapshot.Quantile(q);
            writer.Sample(name, micros is { } value ? value / 1e6 : double.NaN,
                ("quantile", q.ToString("R", CultureInfo.InvariantCulture)));
        }

        writer.Sample(name + "_sum", snapshot.SumMicroseconds / 1e6).Sample(name + "_count", snapshot.Count);
    }

    private static string Id(BackendNode node) => node.NodeId.ToString(CultureInfo.InvariantCulture);
}
