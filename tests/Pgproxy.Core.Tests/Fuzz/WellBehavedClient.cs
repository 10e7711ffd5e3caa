using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Fuzz;

/// <summary>
/// A client that keeps running ordinary queries on one session while the fuzzer attacks the same proxy: every
/// answer must be the healthy one (RowDescription, DataRow, CommandComplete, ReadyForQuery).
/// </summary>
internal sealed class WellBehavedClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly RawClient _client;
    private readonly Task _loop;

    private WellBehavedClient(RawClient client)
    {
        _client = client;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Null while every answer was right, else the first wrong one.</summary>
    public string? Problem { get; private set; }

    public int Queries { get; private set; }

    public static async Task<WellBehavedClient> StartAsync(ProxyHarness harness)
    {
        var (client, _) = await harness.ConnectAndStartAsync("bystander", "app");
        return new WellBehavedClient(client);
    }

    /// <summary>One fresh session that runs a query and leaves: the proxy still accepts and serves clients.</summary>
    public static async Task<string?> CheckFreshSessionAsync(ProxyHarness harness)
    {
        var client = harness.Connect();
        await using var _ = client;
        await client.SendStartupAsync("newcomer", "app");
        var startup = await client.ReadToReadyOrEndAsync();
        if (startup.Count == 0 || startup[^1].Type != 'Z')
        {
            return "a new session got [" + string.Join(", ", startup) + "] instead of ReadyForQuery";
        }

        await client.SendQueryAsync("SELECT 1");
        return Check(await client.ReadToReadyOrEndAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _client.SendTerminateAsync();
        await _client.DisposeAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested && Problem is null)
        {
            await _client.SendQueryAsync("SELECT 1");
            Problem = Check(await _client.ReadToReadyOrEndAsync());
            Queries++;
            await Task.Delay(1);
        }
    }

    private static string? Check(IReadOnlyList<BackendMessage> replies)
    {
        var types = string.Concat(replies.Select(m => m.Type));
        return types == "TDCZ" ? null : $"a well-behaved client got '{types}' for SELECT 1";
    }
}
