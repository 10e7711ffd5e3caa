using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Hosting;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Brings a down node back (issue 15, DESIGN §5): checks, schema, data and catch-up by logical replication from
/// main, cutover at the write gate, attach. Any failure removes what the recovery made and leaves the node down,
/// so the next attempt starts clean. One recovery at a time per pgproxy: each removes the leftovers of others.
/// </summary>
internal sealed partial class NodeRecovery(ProxyRuntime runtime, ILogger logger)
{
    private static readonly ConditionalWeakTable<ProxyRuntime, SemaphoreSlim> Running = [];

    public async Task<RecoveryOutcome> RunAsync(RecoveryRequest request, RecoveryProgress progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        progress.Start();
        var running = Running.GetValue(runtime, _ => new SemaphoreSlim(1, 1));
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
        var journal = new RecoveryJournal(SystemDbSettings.From(runtime.Options, runtime.PoolPasswd, []), recoveryId,
            request.NodeId, request.RequestedBy);
        Log.Started(logger, request.NodeId, request.Wipe, request.RequestedBy, recoveryId);
        RecoveryConnector connector;
        RecoveryPlan? plan = null;
        Cutover? cutover = null;
        var phase = "checks";
        try
        {
            connector = RecoveryConnector.From(runtime, request.NodeId);
            var main = RecoveryChecks.FindDownNode(runtime, request.NodeId);
            progress.SetPhase(phase, "node, main, settings");
            await JournalAsync(journal, progress, phase, null, $"wipe = {request.Wipe}", ct);

            // A recovery that died with pgproxy may have left its objects on either side: they would be in the way.
            var leftovers = new RecoveryCleanup(connector);
            var oids = await leftovers.DropSubscriptionsAsync(runtime.Nodes.Find(request.NodeId)!, request.NodeId, ct);
            await leftovers.DropPublicationsAsync(main, request.NodeId, ct);
            await leftovers.DropSlotsAsync(main, [], [RecoveryNames.Prefix.Replace("_", "\\_",
                StringComparison.Ordinal) + request.NodeId + "\\_%", .. oids.Select(SyncSlots)], ct);

            plan = await RecoveryChecks.RunAsync(runtime, request, connector, ct);
            var tools = new PostgresTools(connector);
            var schema = new SchemaCopy(connector, tools, plan);
            if (plan.NodeDatabasesToDrop.Count > 0)
            {
                phase = "wipe";
                progress.SetPhase(phase, string.Join(", ", plan.NodeDatabasesToDrop));
                await JournalAsync(journal, progress, phase, null, string.Join(", ", plan.NodeDatabasesToDrop), ct);
                await schema.WipeAsync(ct);
            }

            // From the dump on, DDL would reach every node but this one (logical replication carries rows only):
            // it is refused until the cutover. DDL already running when the hold starts may still commit after the
            // dump; the verification check then finds the table that differs and fails the recovery.
            runtime.SchemaChanges.Hold(request.NodeId);
            phase = "schema";
            progress.SetPhase(phase, "roles");
            await JournalAsync(journal, progress, phase, await MainLsnAsync(connector, plan, ct), "", ct);
            await schema.CopyRolesAsync(ct);
            await schema.CreateDatabasesAsync(ct);
            foreach (var database in plan.Databases)
            {
                progress.SetDetail($"database {database.Name}");
                await schema.CopySchemaAsync(database, ct);
            }

            phase = "copy";
            progress.SetPhase(phase);
            var copy = new LogicalCopy(connector, plan, progress);
            foreach (var database in plan.Databases)
            {
                await copy.PublishAsync(database, ct);
                await copy.SubscribeAsync(database, ct);
            }

            await JournalAsync(journal, progress, phase, await MainLsnAsync(connector, plan, ct),
                $"{plan.Databases.Count} database(s)", ct);
            await copy.WaitForCopyAsync(ct);
            Log.Phase(logger, request.NodeId, "copied", progress.Elapsed.TotalMilliseconds,
                $"{progress.TablesCopied} table(s), {progress.BytesCopied} bytes");

            phase = "cutover";
            await JournalAsync(journal, progress, "catch-up", await MainLsnAsync(connector, plan, ct),
                $"{progress.TablesCopied} table(s) copied, {progress.BytesCopied} bytes", ct);
            cutover = new Cutover(runtime, connector, plan, copy, progress);
            await cutover.RunAsync(request.RequestedBy, async (step, detail) =>
            {
                if (step == "cutover retry")
                {
                    Log.CutoverRetry(logger, request.NodeId, detail ?? "");
                }

                var attached = step == "attached" && detail is not null;
                await JournalAsync(journal, progress, step, attached ? detail![..detail!.IndexOf(' ', StringComparison.Ordinal)] : null,
                    attached ? detail![(detail!.IndexOf(' ', StringComparison.Ordinal) + 1)..] : detail ?? "", ct);
            }, ct);
            runtime.SchemaChanges.Release();

            // The node is up: what is left on main is housekeeping, off the gate (ALTER TABLE waits for locks).
            phase = "finish";
            var finish = new RecoveryCleanup(connector);
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
            await JournalAsync(journal, progress, "done", null,
                $"{outcome.Duration.TotalMilliseconds:0} ms, longest pause {outcome.LongestCutoverPause.TotalMilliseconds:0} ms",
                CancellationToken.None);
            Log.Succeeded(logger, request.NodeId, outcome.Duration.TotalMilliseconds,
                outcome.LongestCutoverPause.TotalMilliseconds, outcome.CutoverAttempts, outcome.CutoverLsn ?? "",
                outcome.SessionsWithoutNode);
            return outcome;
        }
        catch (Exception e)
        {
            // Whatever went wrong (a bug included), the node stays down and nothing of the recovery stays behind.
            var error = e switch
            {
                RecoveryFailure => e.Message,
                OperationCanceledException => $"recovery of node {request.NodeId} cancelled during {phase}",
                _ => $"recovery of node {request.NodeId} failed during {phase}: {e.Message}",
            };
            if (plan is not null && e is not RecoveryFailure and not OperationCanceledException
                && await SilentSideAsync(plan) is { } silent)
            {
                error = $"recovery of node {request.NodeId} failed during {phase}: {silent} ({e.Message})";
            }

            if (plan is not null)
            {
                await TearDownAsync(plan, request.NodeId);
            }

            await JournalAsync(journal, progress, "failed", null, error, CancellationToken.None);
            return Fail(progress, error, plan, cutover?.LongestPause.Ticks ?? 0, cutover?.Attempts ?? 0);
        }
        finally
        {
            runtime.SchemaChanges.Release();
        }
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
        var connector = RecoveryConnector.From(runtime, nodeId);
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
    public static async Task CleanupLeftoversAsync(ProxyRuntime runtime, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        RecoveryConnector connector;
        try
        {
            connector = RecoveryConnector.From(runtime, -1);
        }
        catch (RecoveryFailure e)
        {
            Log.CleanupFailed(logger, -1, e.Message);
            return;
        }

        var cleanup = new RecoveryCleanup(connector);
        var oids = new List<uint>();
        foreach (var node in runtime.Nodes.Nodes)
        {
            oids.AddRange(await cleanup.DropSubscriptionsAsync(node, null, ct));
        }

        foreach (var node in runtime.Nodes.Nodes)
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
        var connector = RecoveryConnector.From(runtime, plan.Node.NodeId);
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
