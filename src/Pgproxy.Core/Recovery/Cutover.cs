using System.Diagnostics;
using Npgsql;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// The cutover (issue 15 item 5): close the write gate, so nothing commits on main; mark the node joining and wait
/// for the writes of sessions without it to end on main (<see cref="NodeJoin"/>); read main's WAL position;
/// wait until every subscription has confirmed it; copy the sequences; stop the subscriptions; attach the node;
/// open the gate (the subscriptions and their slots on main are dropped after). While the gate is closed the node
/// and main hold the same committed data, and from the attach on pgproxy sends every write to both. A wait longer
/// than recovery_cutover_timeout opens the gate again, lets the node catch up and tries once more.
/// </summary>
internal sealed class Cutover(IRecoveryServices services, RecoveryConnector connector, RecoveryPlan plan,
    LogicalCopy copy, RecoveryProgress progress)
{
    public const int MaxAttempts = 5;

    /// <summary>Lag below which a cutover is worth trying: what the node applies in well under a second.</summary>
    private const long ReadyLagBytes = 4 * 1024 * 1024;

    /// <summary>How long the writes of sessions without the node may take before their locks' holders are ended.</summary>
    private static readonly TimeSpan LockGrace = TimeSpan.FromMilliseconds(100);

    public int Attempts { get; private set; }

    public TimeSpan LongestPause { get; private set; }

    public string? Lsn { get; private set; }

    /// <summary>Where the pause of the successful attempt went, for the log and the journal.</summary>
    public string Breakdown { get; private set; } = "";

    /// <summary>Client sessions at the attach whose links leave the node out (connected while it was down).</summary>
    public int SessionsWithoutNode { get; private set; }

    /// <summary>Per database, main's unlogged tables: copied with the gate closed (see <see cref="UnloggedTables"/>).</summary>
    private List<IReadOnlyList<string>> _unlogged = [];

    /// <summary>Runs attempts until one attaches the node; throws when none could.</summary>
    public async Task RunAsync(string requestedBy, Func<string, string?, Task> journal, CancellationToken ct)
    {
        await using var main = await connector.OpenAsync(plan.Main, "postgres", ct);
        var nodeConnections = new List<NpgsqlConnection>();
        var mainConnections = new List<NpgsqlConnection>();
        try
        {
            var unlogged = new List<IReadOnlyList<string>>();
            foreach (var database in plan.Databases)
            {
                nodeConnections.Add(await connector.OpenAsync(plan.Node, database.Name, ct));
                mainConnections.Add(await connector.OpenAsync(plan.Main, database.Name, ct));
                unlogged.Add(await UnloggedTables.ListAsync(mainConnections[^1], ct));
                progress.SetPhase("catch-up", $"refreshing materialized views of {database.Name}");
                await MaterializedViews.RefreshAsync(mainConnections[^1], nodeConnections[^1], ct);
            }

            _unlogged = unlogged;

            var timeout = TimeSpan.FromMilliseconds(services.Options.RecoveryCutoverTimeout);
            string? lastProblem = null;
            while (Attempts < MaxAttempts)
            {
                await CatchUpAsync(main, nodeConnections, ct);
                Attempts++;
                progress.SetPhase("cutover", $"attempt {Attempts} of {MaxAttempts}");
                var problem = await TryOnceAsync(main, mainConnections, nodeConnections, timeout, requestedBy, ct);
                if (problem is null)
                {
                    await journal("attached", Lsn + " " + Breakdown);
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
            foreach (var connection in nodeConnections.Concat(mainConnections))
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
                await copy.ThrowOnWorkerErrorsAsync(nodes[i], plan.Databases[i], ct);
            }

            await copy.CheckPublicationsAsync(ct);
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
    private async Task<string?> TryOnceAsync(NpgsqlConnection main, List<NpgsqlConnection> mains,
        List<NpgsqlConnection> nodes, TimeSpan timeout, string requestedBy, CancellationToken ct)
    {
        var closing = await services.WriteGate.CloseAsync(TimeSpan.FromMilliseconds(services.Options.WriteGateTimeout),
            ct);
        if (closing.Closure is not { } closure)
        {
            return closing.Failure;
        }

        var closedAt = Stopwatch.GetTimestamp();
        try
        {
            // Main's sequences are final only once no session without the node draws there (NodeJoin): such a
            // session's INSERT may be running now, its commit to wait at the gate and fail; its draw would stay.
            var join = services.Nodes.Join;
            join.Begin(plan.Node.NodeId);
            if (!await WaitForWritesAsync(join, timeout, ct))
            {
                return $"{join.WritesOnMain} write(s) of sessions without node {plan.Node.NodeId} were still running " +
                       $"on main after {timeout.TotalMilliseconds:0} ms";
            }

            var drawn = Stopwatch.GetTimestamp();
            // The cut: main's insert position, past every commit record of the drained gate, and main's WAL flushed
            // up to it (WAL senders send only flushed WAL). Sessions commit asynchronously where nodes run with
            // synchronous_commit = off, so the last commits may sit in WAL buffers until wal_writer_delay; the write
            // position (pg_current_wal_lsn) is then short of them, the subscription confirms it without having
            // them, and the node lacks them for good (the rows committed in the last moments before a cutover,
            // 2 to 6 of them, once in about a hundred cutovers under load). A transaction of our own that writes
            // WAL (a logical message, which subscriptions do not ask for) commits synchronously and so flushes
            // everything before it; one that only takes an xid writes no WAL but its commit record, which
            // PostgreSQL then commits asynchronously whatever synchronous_commit says. The target is read before
            // it: the node confirms the last real commit without waiting for a keepalive past our own.
            var target = await RecoveryConnector.ScalarAsync<string>(main,
                "SELECT pg_catalog.pg_current_wal_insert_lsn()::text", ct);
            await RecoveryConnector.ExecuteAsync(main, FlushingCommit, ct);
            var read = Stopwatch.GetTimestamp();
            if (!await WaitForLsnAsync(main, nodes[0], target!, timeout, ct))
            {
                return $"node {plan.Node.NodeId} had not applied main's WAL up to {target} after " +
                       $"{timeout.TotalMilliseconds:0} ms";
            }

            var applied = Stopwatch.GetTimestamp();
            // Each database has its own connections: they run side by side, the gate closed meanwhile.
            await Task.WhenAll(plan.Databases.Select(async (_, i) =>
            {
                await CopySequencesAsync(mains[i], nodes[i], ct);
                await UnloggedTables.CopyAsync(mains[i], nodes[i], _unlogged[i], ct);
            }));
            var sequences = Stopwatch.GetTimestamp();
            // Stopped, not dropped: DROP SUBSCRIPTION would also drop the slot on main, waiting for its WAL sender
            // to let go, all with the gate closed. Once the apply workers are gone nothing more reaches the node
            // from main; the subscriptions and slots are dropped after the gate is open. (Copying the sequences
            // while the workers exit, on a connection of its own, was tried: the pause did not get shorter.)
            await Task.WhenAll(nodes.Select(node => RecoveryConnector.ExecuteAsync(node,
                $"ALTER SUBSCRIPTION {RecoveryConnector.Ident(RecoveryNames.Subscription(plan.Node.NodeId))} DISABLE",
                ct)));
            var disabled = Stopwatch.GetTimestamp();
            await WaitForWorkersToStopAsync(nodes[0], ct);
            Breakdown = $"closing {closing.Elapsed.TotalMilliseconds:0} ms, writes without the node " +
                        $"{Stopwatch.GetElapsedTime(closedAt, drawn).TotalMilliseconds:0} ms, WAL flush and position " +
                        $"{Stopwatch.GetElapsedTime(drawn, read).TotalMilliseconds:0} ms, applied on the node " +
                        $"{Stopwatch.GetElapsedTime(read, applied).TotalMilliseconds:0} ms, sequences and unlogged tables " +
                        $"{Stopwatch.GetElapsedTime(applied, sequences).TotalMilliseconds:0} ms, subscriptions " +
                        $"disabled {Stopwatch.GetElapsedTime(sequences, disabled).TotalMilliseconds:0} ms, workers " +
                        $"stopped {Stopwatch.GetElapsedTime(disabled).TotalMilliseconds:0} ms";

            Lsn = target;
            // A session's connection to the node from before it went down was aborted then (it counts as lacking it).
            SessionsWithoutNode = services.SessionBackends.Count(backends => backends.Any()
                && backends.All(b => b.NodeId != plan.Node.NodeId || b.IsBroken));
            if (!services.Nodes.Attach(plan.Node, $"recovered by {requestedBy}"))
            {
                throw new RecoveryFailure($"backend node {plan.Node.NodeId} was no longer down at the cutover " +
                                          "(attached by somebody else?)");
            }

            return null;
        }
        finally
        {
            services.Nodes.Join.End(); // attached by now, or not to be: the writes that waited go by its status
            closure.Dispose();
            var pause = Stopwatch.GetElapsedTime(closedAt) + closing.Elapsed;
            if (pause > LongestPause)
            {
                LongestPause = pause;
            }
        }
    }

    /// <summary>
    /// Waits for the writes of sessions without the node; those still running after <see cref="LockGrace"/> likely
    /// wait for locks of transactions whose commits wait at the closed gate, which are then ended (NodeJoin).
    /// </summary>
    private async Task<bool> WaitForWritesAsync(NodeJoin join, TimeSpan timeout, CancellationToken ct)
    {
        if (await join.WaitForWritesAsync(timeout < LockGrace ? timeout : LockGrace, services.Time, ct))
        {
            return true;
        }

        if (timeout <= LockGrace)
        {
            return false;
        }

        join.ReleaseLocks();
        return await join.WaitForWritesAsync(timeout - LockGrace, services.Time, ct);
    }

    private async Task WaitForWorkersToStopAsync(NpgsqlConnection node, CancellationToken ct)
    {
        var oids = plan.Databases.Select(d => d.SubscriptionOid!.Value).ToArray();
        // An apply worker sees DISABLE only when it next wakes (up to a second when idle): ended now, it is not
        // started again, the subscription being disabled.
        await RecoveryConnector.ExecuteAsync(node,
            "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_subscription " +
            "WHERE subid = ANY($1) AND pid IS NOT NULL", ct, (object)oids);
        var started = Stopwatch.GetTimestamp();
        while (await RecoveryConnector.ScalarAsync<long>(node,
                   "SELECT count(*) FROM pg_catalog.pg_stat_subscription WHERE subid = ANY($1) AND pid IS NOT NULL",
                   ct, (object)oids) > 0)
        {
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
            {
                throw new RecoveryFailure($"the subscription workers on node {plan.Node.NodeId} did not stop within " +
                                          "10 s of ALTER SUBSCRIPTION … DISABLE");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(2), ct);
        }
    }

    /// <summary>
    /// Waits until every subscription has confirmed main's WAL up to <paramref name="target"/>. A subscription
    /// confirms only what the node has flushed, and says so only when main's WAL sender wakes it: the node applies
    /// asynchronously (its own WAL writer flushes every wal_writer_delay) and, the gate closed, main writes hardly
    /// anything to wake its WAL senders. Left alone the wait took one wal_writer_delay (200 ms) nearly every time;
    /// each round therefore flushes the node's WAL and commits a WAL record on main, and the confirmation follows in
    /// a few milliseconds (measured: 204–228 ms before, 4–37 ms so).
    /// </summary>
    private async Task<bool> WaitForLsnAsync(NpgsqlConnection main, NpgsqlConnection node, string target,
        TimeSpan timeout, CancellationToken ct)
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

            await RecoveryConnector.ExecuteAsync(node, FlushingCommit, ct);
            await RecoveryConnector.ExecuteAsync(main, FlushingCommit, ct);
            await Task.Delay(TimeSpan.FromMilliseconds(5), ct);
        }
    }

    /// <summary>
    /// A transaction whose commit flushes the WAL before it: it writes WAL of its own (a logical message, which
    /// subscriptions do not ask for) and commits synchronously; with only an xid it would commit asynchronously.
    /// </summary>
    private const string FlushingCommit = "BEGIN; SET LOCAL synchronous_commit = on; " +
                                          "SELECT pg_catalog.pg_logical_emit_message(true, 'pgproxy', 'flush'); COMMIT";

    /// <summary>Sequences are not replicated: at the cut, each gets main's last_value and is_called.</summary>
    private static async Task CopySequencesAsync(NpgsqlConnection connection, NpgsqlConnection node,
        CancellationToken ct)
    {
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
