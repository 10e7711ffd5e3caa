using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Fuzz;
using Pgproxy.TestUtilities.Logging;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Fuzz;

/// <summary>
/// The fuzzer over real TCP in front of real PostgreSQL nodes: fewer cases than the in-memory run, but every
/// forwarded byte meets PostgreSQL's own parser, and an Npgsql client queries through the same pgproxy all along.
/// Same oracle: each connection closed within 5 s of the client's end of stream, no XX000, nothing logged at
/// Error, no node degenerated, the well-behaved client never sees an error, a new session works at the end.
/// </summary>
internal static class TcpFuzz
{
    private const int Parallelism = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ShutdownDeadline = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(PgClusterFixture cluster, int ciCases)
    {
        var logs = new RecordingLoggerProvider();
        var proxy = ProxyHost.Start(cluster, o => o with { NumInitChildren = 64 },
            loggerFactory: logs.CreateFactory());
        var failed = true;
        try
        {
            await RunCasesAsync(cluster, proxy, logs, ciCases);
            failed = false;
        }
        finally
        {
            // A session that never ends holds pgproxy's shutdown forever: bound it, so a failing case is reported
            // instead of the whole run hanging (that is how the replication run used to stall).
            var disposing = proxy.DisposeAsync().AsTask();
            if (await Task.WhenAny(disposing, Task.Delay(ShutdownDeadline)) != disposing && !failed)
            {
                Assert.Fail($"pgproxy did not shut down within {ShutdownDeadline.TotalSeconds} s: a session never ended");
            }
        }
    }

    private static async Task RunCasesAsync(PgClusterFixture cluster, ProxyHost proxy, RecordingLoggerProvider logs,
        int ciCases)
    {
        var table = NodeSql.UniqueTable("fuzz");
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE TABLE {table} (id int, v text)");
        }

        var mutator = new SessionMutator(new RecordedSessions(PostgresInstance.User, "postgres", table).All);
        var seed = FuzzSettings.Seed;
        var failures = new List<string>();
        using var stop = new CancellationTokenSource();
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bystander = Task.Run(() => QueryAllAlongAsync(proxy, answered, stop.Token));
        await Task.WhenAny(answered.Task, bystander).WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var batch in FuzzSettings.CaseIndexes(ciCases).Chunk(Parallelism))
        {
            var logged = logs.Logs.Count;
            var cases = batch.Select(i => mutator.Create(seed, i)).ToArray();
            var problems = await Task.WhenAll(cases.Select(c => RunCaseAsync(proxy.Port, c)));
            failures.AddRange(cases.Zip(problems).Where(p => p.Second is not null).Select(p => $"{p.Second}\n  {p.First}"));
            if (logs.Logs.Skip(logged).FirstOrDefault(l => l.Level >= LogLevel.Error) is { } error)
            {
                failures.Add($"logged '{error.Message}' during one of:\n  " + string.Join("\n  ", cases.Select(c => c)));
            }
            if (failures.Count >= 5 || bystander.IsCompleted)
            {
                break;
            }
        }

        await stop.CancelAsync();
        int queries;
        try
        {
            queries = await bystander;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            var warnings = logs.Logs.Where(l => l.Level >= LogLevel.Warning).Select(l => $"{l.EventId} {l.Message}");
            Assert.Fail($"the well-behaved client failed: {e.Message} (seed {seed}); failing cases:\n"
                + $"{string.Join("\n", failures)}\nlog:\n{string.Join("\n", warnings.TakeLast(10))}");
            throw;
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failing case(s), seed {seed}:\n{string.Join("\n", failures)}");
        Assert.True(queries > 0, "the well-behaved client never got an answer");
        var errors = logs.Logs.Where(l => l.Level >= LogLevel.Error).Select(l => $"{l.EventId} {l.Message}").ToList();
        Assert.True(errors.Count == 0, $"logged at Error (seed {seed}):\n{string.Join("\n", errors)}");
        Assert.All(proxy.Runtime.Nodes.Nodes, n => Assert.NotEqual(BackendStatus.Down, n.Status));
        await using var fresh = await proxy.OpenAsync();
        await using var check = new NpgsqlCommand("SELECT 1", fresh);
        Assert.Equal(1, await check.ExecuteScalarAsync());
    }

    private static async Task<int> QueryAllAlongAsync(ProxyHost proxy, TaskCompletionSource answered,
        CancellationToken stop)
    {
        await using var connection = await proxy.OpenAsync();
        var queries = 0;
        while (!stop.IsCancellationRequested)
        {
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            Assert.Equal(1, await command.ExecuteScalarAsync(CancellationToken.None));
            queries++;
            answered.TrySetResult();
            await Task.Delay(5, CancellationToken.None);
        }

        return queries;
    }

    private static async Task<string?> RunCaseAsync(int port, FuzzCase fuzzCase)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(PostgresInstance.Host, port);
        var stream = tcp.GetStream();
        var reply = new MemoryStream();
        var reading = ReadToEndAsync(stream, reply);
        try
        {
            foreach (var piece in fuzzCase.Pieces)
            {
                await stream.WriteAsync(piece).AsTask().WaitAsync(Deadline);
            }

            if (fuzzCase.WaitBeforeClosing)
            {
                await Task.Delay(20); // let PostgreSQL's answers come back through the session
            }

            tcp.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // pgproxy closed first: that is an answer too.
        }
        catch (TimeoutException)
        {
            return "pgproxy stopped reading: a write blocked for 5 s";
        }

        try
        {
            await reading.WaitAsync(Deadline);
        }
        catch (TimeoutException)
        {
            return $"no close within 5 s of the client's end of stream ({reply.Length} bytes received)";
        }

        return FuzzOracle.FindInternalError(reply.ToArray());
    }

    private static async Task ReadToEndAsync(NetworkStream stream, MemoryStream reply)
    {
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                reply.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Reset by pgproxy: closed, as far as the oracle cares.
        }
    }
}
