using System.Diagnostics;
using Npgsql;
using Pgproxy.Core.Hosting;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// The cutover (issue 15 item 5): close the write gate, so nothing commits on main; read main's WAL position;
/// wait until every subscription has confirmed it; copy the sequences; drop the subscriptions (and with them
/// their slots on main); attach the node; open the gate. While the gate is closed the node and main hold the same
/// committed data, and from the attach on pgproxy sends every write to both. A wait longer than
/// recovery_cutover_timeout opens the gate again, lets the node catch up and tries once more.
/// </summary>
internal sealed class Cutover(ProxyRuntime runtime, RecoveryConnector connector, RecoveryPlan plan,
    LogicalCopy copy, RecoveryProgress progress)
{
    public const int MaxAttempts = 5;

    /// <summary>Lag below which a cutover is worth trying: what the node applies in well under a second.</summary>
    private const long ReadyLagBytes = 4 * 1024 * 1024;

    public int Attempts { get; private set; }

    public TimeSpan LongestPause { get; private set; }

    public string? Lsn { get; private set; }

    /// <summary>Client sessions at the attach whose links leave the node out (connected while it was down).</summary>
    public int SessionsWithoutNode { get; private set; }

    /// <summary>Runs attempts until one attaches the node; throws when none could.</summary>
    public async Task RunAsync(string requestedBy, Func<string, string?, Task> journal, CancellationToken ct)
    {
        await using var main = await connector.OpenAsync(plan.Main, "postgres", ct);
        var nodeConnections = new List<NpgsqlConnection>();
        try
        {
            foreach (var database in plan.Databases)
            {
                nodeConnections.Add(await connector.OpenAsync(plan.Node, database.Name, ct));
            }

            var timeout = TimeSpan.FromMilliseconds(runtime.Options.RecoveryCutoverTimeout);
            string? lastProblem = null;
            while (Attempts < MaxAttempts)
            {
                await CatchUpAsync(main, nodeConnections, ct);
                Attempts++;
                progress.SetPhase("cutover", $"attempt {Attempts} of {MaxAttempts}");
                var problem = await TryOnceAsync(main, nodeConnections, timeout, requestedBy, ct);
                if (problem is null)
                {
                    await journal("attached", Lsn);
                    return;
                }

                lastProblem = problem;
                progress.SetDetail($"attempt {Attempts} of {MaxAttempts}: {problem}");
                await journal("cutover retry", problem);
            }

            throw new RecoveryFailure($"the cutover of node {plan.Node.NodeId} did not finish in {MaxAttempts} " +
                                      $"attempts (recovery_cutover_timeout = {timeout.TotalMilliseconds:0} ms): " +
                                      lastProblem);
        }
        finally
        {
            foreach (var connection in nodeConnections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>With the gate open: waits until the node is close behind main, so that the gate stays closed briefly.</summary>
    private async Task CatchUpAsync(NpgsqlConnection main, List<NpgsqlConnection> nodes, CancellationToken ct)
    {
        progress.SetPhase("catch-up");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            for (var i = 0; i < plan.Databases.Count; i++)
            {
                await LogicalCopy.ThrowOnWorkerErrorsAsync(nodes[i], plan.Databases[i], ct);
            }

            var lag = await copy.LagAsync(main, ct);
            progress.SetLag(lag);
            if (lag < ReadyLagBytes || Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
    }

    /// <summary>One attempt; null when the node is attached, else why not (the gate is open again either way).</summary>
    private async Task<string?> TryOnceAsync(NpgsqlConnection main, List<NpgsqlConnection> nodes, TimeSpan timeout,
        string requestedBy, CancellationToken ct)
    {
        var closing = await runtime.WriteGate.CloseAsync(TimeSpan.FromMilliseconds(runtime.Options.WriteGateTimeout),
            ct);
        if (closing.Closure is not { } closure)
        {
            return closing.Failure;
        }

        var closedAt = Stopwatch.GetTimestamp();
        try
        {
            var target = await RecoveryConnector.ScalarAsync<string>(main, "SELECT pg_catalog.pg_current_wal_lsn()::text",
                ct);
            if (!await WaitForLsnAsync(main, target!, timeout, ct))
            {
                return $"node {plan.Node.NodeId} had not applied main's WAL up to {target} after " +
                       $"{timeout.TotalMilliseconds:0} ms";
            }

            for (var i = 0; i < plan.Databases.Count; i++)
            {
                await CopySequencesAsync(plan.Databases[i], nodes[i], ct);
            }

            for (var i = 0; i < plan.Databases.Count; i++)
            {
                // Connects to main to drop the slot: both are up, it was checked a moment ago.
                await RecoveryConnector.ExecuteAsync(nodes[i],
                    $"DROP SUBSCRIPTION {RecoveryConnector.Ident(RecoveryNames.Subscription(plan.Node.NodeId))}", ct);
                plan.Databases[i].SubscriptionCreated = false;
            }

            Lsn = target;
            SessionsWithoutNode = runtime.Sessions.Sessions.Count(s => s.Backends.Any()
                                                                      && s.Backends.All(b => b.NodeId != plan.Node.NodeId));
            if (!runtime.Nodes.Attach(plan.Node, $"recovered by {requestedBy}"))
            {
                throw new RecoveryFailure($"backend node {plan.Node.NodeId} was no longer down at the cutover " +
                                          "(attached by somebody else?)");
            }

            return null;
        }
        finally
        {
            closure.Dispose();
            var pause = Stopwatch.GetElapsedTime(closedAt) + closing.Elapsed;
            if (pause > LongestPause)
            {
                LongestPause = pause;
            }
        }
    }

    private async Task<bool> WaitForLsnAsync(NpgsqlConnection main, string target, TimeSpan timeout,
        CancellationToken ct)
    {
        var slots = plan.Databases.Select(d => d.Slot).ToArray();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var behind = await RecoveryConnector.ScalarAsync<long>(main,
                "SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE slot_name = ANY($1) AND " +
                "(confirmed_flush_lsn IS NULL OR confirmed_flush_lsn < $2::pg_lsn)", ct, slots, target);
            if (behind == 0)
            {
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), ct);
        }
    }

    /// <summary>Sequences are not replicated: at the cut, each gets main's last_value and is_called.</summary>
    private async Task CopySequencesAsync(RecoveryDatabase database, NpgsqlConnection node, CancellationToken ct)
    {
        await using var connection = await connector.OpenAsync(plan.Main, database.Name, ct);
        var sequences = await RecoveryConnector.RowsAsync(connection,
            "SELECT format('%I.%I', schemaname, sequencename) FROM pg_catalog.pg_sequences ORDER BY 1", ct);
        foreach (var chunk in sequences.Select(r => r[0]!).Chunk(200))
        {
            var read = string.Join(" UNION ALL ", chunk.Select(name =>
                $"SELECT {RecoveryConnector.Literal(name)}, last_value, is_called FROM {name}"));
            var values = await RecoveryConnector.RowsAsync(connection, read, ct);
            var write = string.Join(", ", values.Select(v =>
                $"pg_catalog.setval({RecoveryConnector.Literal(v[0]!)}, {v[1]}, {(v[2] == "True" ? "true" : "false")})"));
            await RecoveryConnector.ExecuteAsync(node, "SELECT " + write, ct);
        }
    }
}
