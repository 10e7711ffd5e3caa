using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pgproxy.TestUtilities.Fuzz;
using Pgproxy.TestUtilities.Logging;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Fuzz;

/// <summary>
/// The mutation fuzzer over in-memory connections and scripted backends: fast and deterministic in what it sends,
/// so a few thousand cases run on every build (<see cref="FuzzSettings"/> for more, or to replay one). For every
/// case pgproxy must close the connection within 5 s of the client's end of stream and never answer XX000; over
/// the whole run it must log no error (the session's catch-all logs SessionCrashed at Error), keep serving a
/// well-behaved client that queries all along, and still accept a new session at the end.
/// </summary>
public sealed class ProxyFuzzTests
{
    private const int Parallelism = 8;

    [Theory]
    [InlineData(1, 2000)]
    [InlineData(2, 1000)]
    public async Task MutatedSessions_AnsweredOrClosedWithoutInternalErrors_OthersUnaffected(int nodes, int ciCases)
    {
        var logs = new RecordingLoggerProvider();
        var harness = new ProxyHarness(configure: o => o with { NumInitChildren = 64 }, nodes: nodes,
            loggerFactory: logs.CreateFactory());
        var failed = false;
        try
        {
            await RunAsync(harness, logs, ciCases);
        }
        catch (Exception)
        {
            failed = true;
            throw;
        }
        finally
        {
            // Fast shutdown must finish whatever the fuzzer left behind (the harness gives it 10 s), but a slow
            // one must not hide the failure that explains it.
            try
            {
                await harness.DisposeAsync();
            }
            catch (TimeoutException) when (failed)
            {
            }
        }
    }

    private static async Task RunAsync(ProxyHarness harness, RecordingLoggerProvider logs, int ciCases)
    {
        var mutator = new SessionMutator(new RecordedSessions("alice", "app", "fuzz_t").All);
        var runner = new InMemoryFuzzRunner(harness);
        var failures = new ConcurrentQueue<string>();
        var seed = FuzzSettings.Seed;
        var cases = FuzzSettings.CaseIndexes(ciCases);

        await using (var bystander = await WellBehavedClient.StartAsync(harness))
        {
            foreach (var batch in cases.Chunk(Parallelism))
            {
                var logged = logs.Logs.Count;
                await Task.WhenAll(batch.Select(async index =>
                {
                    var fuzzCase = mutator.Create(seed, index);
                    if (await runner.RunAsync(fuzzCase) is { } problem)
                    {
                        failures.Enqueue($"{problem}\n  {fuzzCase}");
                    }
                }));
                foreach (var log in logs.Logs.Skip(logged).Where(l => l.Level >= LogLevel.Error))
                {
                    failures.Enqueue($"logged {log.Level} {log.EventId} '{log.Message}' during cases "
                        + string.Join(", ", batch.Select(FuzzSettings.ReproduceHint)));
                }

                if (failures.Count >= 5 || bystander.Problem is not null)
                {
                    break;
                }
            }

            Assert.True(bystander.Problem is null, $"{bystander.Problem} (seed {seed})");
            Assert.True(bystander.Queries > 0, "the well-behaved client never got an answer");
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} failing case(s), seed {seed}:\n{string.Join("\n", failures)}");
        Assert.Null(await WellBehavedClient.CheckFreshSessionAsync(harness));
        Assert.All(harness.Runtime.Nodes.Nodes, n => Assert.NotEqual(Core.Backends.BackendStatus.Down, n.Status));
    }
}
