using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Catalog;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Brings a down node back (issue 15, DESIGN §5): checks, schema, data and catch-up by logical replication from
/// main, cutover at the write gate, attach. Any failure removes what the recovery made and leaves the node down,
/// so the next attempt starts clean. One recovery at a time per pgproxy: each removes the leftovers of others.
/// </summary>
internal sealed partial class NodeRecovery(IRecoveryServices services, ILogger logger)
{
    private static readonly ConditionalWeakTable<IRecoveryServices, SemaphoreSlim> Running = [];

    public async Task<RecoveryOutcome> RunAsync(RecoveryRequest request, RecoveryProgress progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        progress.Start();
        var running = Running.GetValue(services, _ => new SemaphoreSlim(1, 1));
        if (!await running.WaitAsync(TimeSpan.Zero, ct))
        {
            return Fail(progress, "another recovery is running: one node is recovered at a time", null, 0, 0);
        }

        try
        {
            return await RunExclusiveAsync(request, progress, ct);
        }
        finally
        {
            running.Release();
        }
    }

    private async Task<RecoveryOutcome> RunExclusiveAsync(RecoveryRequest request, RecoveryProgress progress,
        CancellationToken ct)
    {
        var recoveryId = Guid.NewGuid().ToString("N")[..12];
        var run = new Run(request, progress, new RecoveryJournal(
            SystemDbSettings.From(services.Options, services.PoolPasswd, []), recoveryId, request.NodeId,
            request.RequestedBy));
        Log.Started(logger, request.NodeId, request.Wipe, request.RequestedBy, recoveryId);
        try
        {
            run.Connector = RecoveryConnector.From(services, request.NodeId);
            var plan = await PrepareAsync(run, ct);
            run.Plan = plan;

            // From the dump on, DDL would reach every node but this one (logical replication carries rows only):
            // it is refused until the cutover. DDL already running when the hold starts may still commit after the
            // dump; the verification check then finds the table that differs and fails the recovery.
            services.SchemaChanges.Hold(request.NodeId);
            await CopySchemaAsync(run, plan, ct);
            var copy = await CopyDataAsync(run, plan, ct);
            run.Cutover = new Cutover(services, run.Connector, plan, copy, progress);
            await CutOverAsync(run, run.Cutover, ct);
            services.SchemaChanges.Release();
            return await FinishAsync(run, plan, run.Cutover);
        }
        catch (Exception e)
        {
            return await FailedAsync(run, e);
        }
        finally
        {
            services.SchemaChanges.Release();
        }
    }

    /// <summary>What one recovery carries from phase to phase.</summary>
    private sealed class Run(RecoveryRequest request, RecoveryProgress progress, RecoveryJournal journal)
    {
        public RecoveryRequest Request { get; } = request;

        public RecoveryProgress Progress { get; } = progress;

        public RecoveryJournal Journal { get; } = journal;

        public string Phase { get; set; } = "checks";

        public RecoveryConnector Connector { get; set; } = null!;

        public RecoveryPlan? Plan { get; set; }

        public Cutover? Cutover { get; set; }
    }

    /// <summary>Checks, the leftovers of an earlier recovery of this node, and the wipe when asked for.</summary>
    private async Task<RecoveryPlan> PrepareAsync(Run run, CancellationToken ct)
    {
        var (request, progress, connector) = (run.Request, run.Progress, run.Connector);
        var main = RecoveryChecks.FindDownNode(services, request.NodeId);
        progress.SetPhase(run.Phase, "node, main, settings");
        await JournalAsync(run.Journal, progress, run.Phase, null, $"wipe = {request.Wipe}", ct);

        // A recovery that died with pgproxy may have left its objects on either side: they would be in the way.
        var leftovers = new RecoveryCleanup(connector);
        var oids = await leftovers.DropSubscriptionsAsync(services.Nodes.Find(request.NodeId)!, request.NodeId, ct);
        await leftovers.DropPublicationsAsync(main, request.NodeId, ct);
        await leftovers.DropSlotsAsync(main, [], [RecoveryNames.Prefix.Replace("_", "\\_",
            StringComparison.Ordinal) + request.NodeId + "\\_%", .. oids.Select(SyncSlots)], ct);

        var plan = await RecoveryChecks.RunAsync(services, request, connector, ct);
        if (plan.NodeDatabasesToDrop.Count > 0)
        {
            run.Phase = "wipe";
            progress.SetPhase(run.Phase, string.Join(", ", plan.NodeDatabasesToDrop));
            await JournalAsync(run.Journal, progress, run.Phase, null, string.Join(", ", plan.NodeDatabasesToDrop), ct);
            await new SchemaCopy(connector, new PostgresTools(connector), plan).WipeAsync(ct);
        }

        return plan;
    }

    private async Task CopySchemaAsync(Run run, RecoveryPlan plan, CancellationToken ct)
    {
        run.Phase = "schema";
        run.Progress.SetPhase(run.Phase, "roles");
        await JournalAsync(run.Journal, run.Progress, run.Phase, await MainLsnAsync(run.Connector, plan, ct), "", ct);
        var schema = new SchemaCopy(run.Connector, new PostgresTools(run.Connector), plan);
        await schema.CopyRolesAsync(ct);
        await schema.CreateDatabasesAsync(ct);
        foreach (var database in plan.Databases)
        {
            run.Progress.SetDetail($"database {database.Name}");
            await schema.CopySchemaAsync(database, run.Progress, ct);
        }
    }

    private async Task<LogicalCopy> CopyDataAsync(Run run, RecoveryPlan plan, CancellationToken ct)
    {
        var progress = run.Progress;
        run.Phase = "copy";
        progress.SetPhase(run.Phase);
        var copy = new LogicalCopy(run.Connector, plan, progress);
        foreach (var database in plan.Databases)
        {
            await copy.PublishAsync(database, ct);
            await copy.SubscribeAsync(database, ct);
        }

        await JournalAsync(run.Journal, progress, run.Phase, await MainLsnAsync(run.Connector, plan, ct),
            $"{plan.Databases.Count} database(s)", ct);
        await copy.WaitForCopyAsync(ct);
        Log.Phase(logger, run.Request.NodeId, "copied", progress.Elapsed.TotalMilliseconds,
            $"{progress.TablesCopied} table(s), {progress.BytesCopied} bytes");
        return copy;
    }

    private async Task CutOverAsync(Run run, Cutover cutover, CancellationToken ct)
    {
        var progress = run.Progress;
        run.Phase = "cutover";
        await JournalAsync(run.Journal, progress, "catch-up", await MainLsnAsync(run.Connector, run.Plan!, ct),
            $"{progress.TablesCopied} table(s) copied, {progress.BytesCopied} bytes", ct);
        await cutover.RunAsync(run.Request.RequestedBy, async (step, detail) =>
        {
            if (step == "cutover retry")
            {
                Log.CutoverRetry(logger, run.Request.NodeId, detail ?? "");
            }

            // "attached" comes with "<lsn> <breakdown>": the LSN is the journal's position, the rest its detail.
            var space = step == "attached" && detail is not null ? detail.IndexOf(' ', StringComparison.Ordinal) : -1;
            await JournalAsync(run.Journal, progress, step, space > 0 ? detail![..space] : null,
                space > 0 ? detail![(space + 1)..] : detail ?? "", ct);
        }, ct);
    }

    /// <summary>The node is up: what is left on main is housekeeping, off the gate (ALTER TABLE waits for locks).</summary>
    private async Task<RecoveryOutcome> FinishAsync(Run run, RecoveryPlan plan, Cutover cutover)
    {
        var (request, progress) = (run.Request, run.Progress);
        run.Phase = "finish";
        var finish = new RecoveryCleanup(run.Connector);
        await finish.DropSubscriptionsAsync(plan.Node, request.NodeId, CancellationToken.None);
        await finish.DropPublicationsAsync(plan.Main, request.NodeId, CancellationToken.None);
        await finish.DropSlotsAsync(plan.Main, [.. plan.Databases.Select(d => d.Slot)],
            [.. plan.Databases.Where(d => d.SubscriptionOid is not null).Select(d => SyncSlots(d.SubscriptionOid!.Value))],
            CancellationToken.None);
        foreach (var problem in finish.Problems)
        {
            Log.CleanupFailed(logger, request.NodeId, problem);
        }

        progress.Finish("done");
        var outcome = new RecoveryOutcome(true, null, cutover.LongestPause, progress.Elapsed, cutover.Attempts,
            cutover.Lsn, progress.TablesCopied, cutover.SessionsWithoutNode);
        await JournalAsync(run.Journal, progress, "done", null,
            $"{outcome.Duration.TotalMilliseconds:0} ms, longest pause {outcome.LongestCutoverPause.TotalMilliseconds:0} ms",
            CancellationToken.None);
        Log.Succeeded(logger, request.NodeId, outcome.Duration.TotalMilliseconds,
            outcome.LongestCutoverPause.TotalMilliseconds, outcome.CutoverAttempts, outcome.CutoverLsn ?? "",
            outcome.SessionsWithoutNode);
        return outcome;
    }

    /// <summary>Whatever went wrong (a bug included), the node stays down and nothing of the recovery stays behind.</summary>
    private async Task<RecoveryOutcome> FailedAsync(Run run, Exception e)
    {
        var (nodeId, phase, plan) = (run.Request.NodeId, run.Phase, run.Plan);
        var error = e switch
        {
            RecoveryFailure => e.Message,
            OperationCanceledException => $"recovery of node {nodeId} cancelled during {phase}",
            _ => $"recovery of node {nodeId} failed during {phase}: {e.Message}",
        };
        if (plan is not null && e is not RecoveryFailure and not OperationCanceledException
            && await SilentSideAsync(plan) is { } silent)
        {
            error = $"recovery of node {nodeId} failed during {phase}: {silent} ({e.Message})";
        }

        if (plan is not null)
        {
            await TearDownAsync(plan, nodeId);
        }

        await JournalAsync(run.Journal, run.Progress, "failed", null, error, CancellationToken.None);
        return Fail(run.Progress, error, plan, run.Cutover?.LongestPause.Ticks ?? 0, run.Cutover?.Attempts ?? 0);
    }

    private RecoveryOutcome Fail(RecoveryProgress progress, string error, RecoveryPlan? plan, long pauseTicks,
        int attempts)
    {
        progress.SetError(error);
        progress.Finish("failed");
        Log.Failed(logger, plan?.Node.NodeId ?? -1, error);
        return RecoveryOutcome.Failed(error, progress, TimeSpan.FromTicks(pauseTicks), attempts);
    }

    /// <summary>After a failure: everything of this recovery goes, whichever side still answers; the node stays down.</summary>
    private async Task TearDownAsync(RecoveryPlan plan, int nodeId)
    {
        var connector = RecoveryConnector.From(services, nodeId);
        var cleanup = new RecoveryCleanup(connector);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var oids = await cleanup.DropSubscriptionsAsync(plan.Node, nodeId, limit.Token);
        oids.AddRange(plan.Databases.Where(d => d.SubscriptionOid is not null).Select(d => d.SubscriptionOid!.Value));
        await cleanup.DropSlotsAsync(plan.Main, [.. plan.Databases.Select(d => d.Slot)],
            [.. oids.Distinct().Select(SyncSlots)], limit.Token);
        await cleanup.DropPublicationsAsync(plan.Main, nodeId, limit.Token);
        foreach (var database in plan.Databases)
        {
            await cleanup.RestoreIdentitiesAsync(plan.Main, database, limit.Token);
        }

        foreach (var problem in cleanup.Problems)
        {
            Log.CleanupFailed(logger, nodeId, problem);
        }
    }

    /// <summary>
    /// Removes what recoveries of a pgproxy that died mid-way left on every node (objects named pgproxy_recover_*,
    /// and the table-sync slots of their subscriptions); meant for start-up, before any recovery runs. Best effort:
    /// problems are logged.
    /// </summary>
    public static async Task CleanupLeftoversAsync(IRecoveryServices services, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        RecoveryConnector connector;
        try
        {
            connector = RecoveryConnector.From(services, -1);
        }
        catch (RecoveryFailure e)
        {
            Log.CleanupFailed(logger, -1, e.Message);
            return;
        }

        var cleanup = new RecoveryCleanup(connector);
        var oids = new List<uint>();
        foreach (var node in services.Nodes.Nodes)
        {
            oids.AddRange(await cleanup.DropSubscriptionsAsync(node, null, ct));
        }

        foreach (var node in services.Nodes.Nodes)
        {
            await cleanup.DropPublicationsAsync(node, null, ct);
            await cleanup.DropSlotsAsync(node, [], [RecoveryNames.LikePattern, .. oids.Select(SyncSlots)], ct);
        }

        foreach (var problem in cleanup.Problems)
        {
            Log.CleanupFailed(logger, -1, problem);
        }

        if (oids.Count > 0)
        {
            Log.LeftoversRemoved(logger, oids.Count);
        }
    }

    /// <summary>Which side stopped answering, when one did: the likely cause of a connection error.</summary>
    private async Task<string?> SilentSideAsync(RecoveryPlan plan)
    {
        var connector = RecoveryConnector.From(services, plan.Node.NodeId);
        foreach (var (node, name) in new[] { (plan.Node, $"backend node {plan.Node.NodeId}"),
                     (plan.Main, $"main (backend node {plan.Main.NodeId})") })
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await using var connection = await connector.OpenAsync(node, "template1", limit.Token);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or IOException or TimeoutException
                                          or OperationCanceledException)
            {
                return $"{name} ({node.Endpoint}) stopped answering";
            }
        }

        return null;
    }

    /// <summary>PostgreSQL names a table-sync slot pg_&lt;subscription oid&gt;_sync_&lt;table oid&gt;_&lt;system id&gt;.</summary>
    private static string SyncSlots(uint subscriptionOid) => $"pg\\_{subscriptionOid}\\_sync\\_%";

    private static async Task<string?> MainLsnAsync(RecoveryConnector connector, RecoveryPlan plan,
        CancellationToken ct)
    {
        await using var connection = await connector.OpenAsync(plan.Main, "postgres", ct);
        return await RecoveryConnector.ScalarAsync<string>(connection, "SELECT pg_catalog.pg_current_wal_lsn()::text",
            ct);
    }

    private async Task JournalAsync(RecoveryJournal journal, RecoveryProgress progress, string phase, string? lsn,
        string detail, CancellationToken ct)
    {
        Log.Phase(logger, journal.NodeId, phase, progress.Elapsed.TotalMilliseconds,
            lsn is null ? detail : $"main at {lsn} {detail}");
        if (await journal.WriteAsync(phase, lsn, detail, ct) is { } problem)
        {
            Log.NotJournaled(logger, journal.NodeId, problem);
        }
    }
}
