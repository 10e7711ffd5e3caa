using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Backends;

/// <summary>
/// A DROP DATABASE closes pgproxy's idle cached connections to the database first (issue 17 item 3). A session that
/// was still leaving then (its backend being reset: Npgsql closes a connection and at once drops its database, as
/// ConnectionTests.Fail_connect_then_succeed does) came back to the cache a moment later and held the database:
/// the DROP failed with 55006 after PostgreSQL's 5 s wait. While the statement may still be waiting, a connection to
/// that database coming back is closed instead.
/// </summary>
public sealed class BackendPoolReleaseTests
{
    private static readonly BackendEndpoint Endpoint =
        BackendEndpoint.From(new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5432 });

    [Fact]
    public async Task ConnectionReturningRightAfterItsDatabaseWasReleased_IsClosed_OthersAreCached()
    {
        await using var pool = new BackendPool(new PoolSettings(true, 4, 0), NullLogger.Instance);
        var (leaving, leavingNode) = Connection("dropped");
        var (other, _) = Connection("kept");

        await pool.CloseIdleToAsync(["dropped"]);
        pool.Return(leaving);
        pool.Return(other);

        var only = Assert.Single(pool.IdleSnapshot());
        Assert.Same(other, only);
        Assert.Null(pool.TryRent(leaving.Key, 0));
        await WaitClosedAsync(leavingNode);
    }

    [Fact]
    public async Task ConnectionReturningToADatabaseNobodyReleased_IsCached()
    {
        await using var pool = new BackendPool(new PoolSettings(true, 4, 0), NullLogger.Instance);
        var (connection, _) = Connection("db");

        await pool.CloseIdleToAsync(["another"]);
        pool.Return(connection);

        Assert.Same(connection, pool.TryRent(connection.Key, 0));
    }

    private static (BackendConnection Connection, InMemoryTransport NodeEnd) Connection(string database)
    {
        var (proxyEnd, nodeEnd) = InMemoryTransport.CreatePair();
        return (new BackendConnection(proxyEnd, 0, Endpoint, BackendPoolKey.From("u", database, [])), nodeEnd);
    }

    /// <summary>The node's end reads to the end of stream: pgproxy closed the connection.</summary>
    private static async Task WaitClosedAsync(InMemoryTransport nodeEnd)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var result = await nodeEnd.Input.ReadAsync(timeout.Token);
            nodeEnd.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
