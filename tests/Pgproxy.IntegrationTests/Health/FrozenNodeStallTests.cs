using System.Diagnostics;
using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Health;

/// <summary>
/// Issue 11, item 3: a node frozen with SIGSTOP (postmaster and backends) under clients that are mid-transaction
/// stalls them only until the health check degenerates it, not until the node is thawed; a session started while
/// the node is frozen connects as soon as the node is out.
/// </summary>
[Collection(HealthSuite.Name)]
public sealed class FrozenNodeStallTests(HealthNodes cluster, ITestOutputHelper output) : HealthCheckTestBase(cluster)
{
    private const int Clients = 4;

    /// <summary>The node stays frozen at most this long (the stall the old code showed lasts all of it).</summary>
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Detection takes up to a period plus a timeout (1 s + 2 s, no retry); the rest is margin for a loaded
    /// 2-core machine. Far below <see cref="FreezeFor"/>.
    /// </summary>
    private static readonly TimeSpan CarryOnWithin = TimeSpan.FromSeconds(12);

    [PostgresFact]
    public async Task FrozenReplica_ClientsMidTransactionCarryOnOnceDegenerated_NewSessionsConnect()
    {
        // connect_timeout beyond the bound: only the degeneration, not the timeout, may end a new session's wait.
        var proxy = StartProxy(o => o with { HealthCheckMaxRetries = 0, ConnectTimeout = 20_000 });
        await Poll.UntilAsync(() => Node(proxy, 1).Status == BackendStatus.Up, Patience, "node 1 up");
        var table = NodeSql.UniqueTable("frozen");
        await using (var conn = await proxy.OpenAsync())
        await using (var cmd = new NpgsqlCommand(
                         $"CREATE TABLE {table} (id int PRIMARY KEY, n int NOT NULL); " +
                         $"INSERT INTO {table} SELECT g, 0 FROM generate_series(1, {Clients}) g", conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var committed = new List<TimeSpan>[Clients];
        var retried = new int[Clients];
        var loops = new Task[Clients];
        for (var i = 0; i < Clients; i++)
        {
            committed[i] = [];
            var id = i + 1;
            var mine = committed[i];
            var index = i;
            loops[i] = Task.Run(() => RunTransactionsAsync(proxy, table, id, clock, mine,
                () => Interlocked.Increment(ref retried[index]), stop.Token));
        }

        await Poll.UntilAsync(() => Enumerable.Range(0, Clients).All(i => CountSince(committed[i], TimeSpan.Zero) >= 2),
            Patience, "every client to commit twice");

        TimeSpan frozenAt;
        TimeSpan[] carriedOn;
        TimeSpan newSession;
        Task<TimeSpan> connecting;
        await using (var frozen = await FrozenNode.FreezeAsync(Nodes[1]))
        {
            frozenAt = clock.Elapsed;
            connecting = OpenNewSessionAsync(proxy, clock);

            // Each client commits twice more with node 1 frozen: the second commit started after the freeze.
            var deadline = frozenAt + CarryOnWithin;
            await Poll.UntilAsync(() => Enumerable.Range(0, Clients).All(i => CountSince(committed[i], frozenAt) >= 2)
                                        || clock.Elapsed > deadline, FreezeFor, "the clients to carry on");
            carriedOn = [.. Enumerable.Range(0, Clients).Select(i => NthSince(committed[i], frozenAt, 2) - frozenAt)];
            var left = deadline - clock.Elapsed;
            newSession = left > TimeSpan.Zero && await Task.WhenAny(connecting, Task.Delay(left)) == connecting
                ? await connecting - frozenAt
                : TimeSpan.MaxValue;
            output.WriteLine($"node 1: {Node(proxy, 1).Status}, {Node(proxy, 1).LastStatusReason}");
            output.WriteLine(
                $"second commit after the freeze, per client: {string.Join(", ", carriedOn.Select(Show))}");
            output.WriteLine($"new session answered after {Show(newSession)}; " +
                             $"40001 retries: {string.Join(", ", retried)}");
        }

        // Thawed: whatever still waited goes on now.
        await connecting.WaitAsync(Patience);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        Assert.Equal(BackendStatus.Down, Node(proxy, 1).Status);
        Assert.StartsWith("health check failed: ", Node(proxy, 1).LastStatusReason, StringComparison.Ordinal);
        Assert.All(carriedOn, t => Assert.True(t < CarryOnWithin, $"a client's second commit came {Show(t)}"));
        Assert.True(newSession < CarryOnWithin, $"a new session answered {Show(newSession)}");
    }

    /// <summary>
    /// TPC-B-like transactions on one row until stopped, each commit's time recorded. A transaction lost with a
    /// node is retried, as its 40001 asks (none is expected when only a replica is lost, but it is allowed).
    /// </summary>
    private static async Task RunTransactionsAsync(ProxyHost proxy, string table, int id, Stopwatch clock,
        List<TimeSpan> committed, Action retried, CancellationToken stop)
    {
        await using var conn = await proxy.OpenAsync();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var tx = await conn.BeginTransactionAsync(stop);
                await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET n = n + 1 WHERE id = {id}", conn, tx))
                {
                    await cmd.ExecuteNonQueryAsync(stop);
                }

                await using (var cmd = new NpgsqlCommand($"SELECT n FROM {table} WHERE id = {id}", conn, tx))
                {
                    await cmd.ExecuteScalarAsync(stop);
                }

                await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET n = n + 1 WHERE id = {id}", conn, tx))
                {
                    await cmd.ExecuteNonQueryAsync(stop);
                }

                await tx.CommitAsync(stop);
                lock (committed)
                {
                    committed.Add(clock.Elapsed);
                }
            }
            catch (PostgresException e) when (e.SqlState == "40001")
            {
                retried();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Opens a session that is not in Npgsql's pool and runs one query; returns when it answered.</summary>
    private static async Task<TimeSpan> OpenNewSessionAsync(ProxyHost proxy, Stopwatch clock)
    {
        await using var conn = await proxy.OpenAsync(b => b.Timeout = 60);
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync();
        return clock.Elapsed;
    }

    private static string Show(TimeSpan t) =>
        t == TimeSpan.MaxValue ? "never while frozen" : $"{t.TotalSeconds:0.00} s";

    private static int CountSince(List<TimeSpan> committed, TimeSpan since)
    {
        lock (committed)
        {
            return committed.Count(t => t > since);
        }
    }

    /// <summary>
    /// When the <paramref name="n"/>-th commit after <paramref name="since"/> happened (max when it did not).
    /// </summary>
    private static TimeSpan NthSince(List<TimeSpan> committed, TimeSpan since, int n)
    {
        lock (committed)
        {
            return committed.Where(t => t > since).Skip(n - 1).Cast<TimeSpan?>().FirstOrDefault() ?? TimeSpan.MaxValue;
        }
    }
}
