using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// LISTEN through Npgsql, which sends everything by the extended protocol, in front of two nodes: every NOTIFY of
/// another session reaches the listener once (not once per node), while it waits idle and while it runs queries of
/// its own, until it UNLISTENs. Node 0 has weight 0, so the listener's reads run on node 1 while its notifications
/// come from main.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class ListenNotifyReplicationTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    [PostgresFact]
    public async Task Listen_NotifyFromAnotherConnection_WaitReturnsEveryTime()
    {
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        var received = Collect(listener);
        await ExecuteAsync(listener, "LISTEN itest_wait");

        for (var i = 0; i < 20; i++)
        {
            await ExecuteAsync(notifier, $"NOTIFY itest_wait, 'n{i}'");

            Assert.True(await listener.WaitAsync(Quickly), $"notification {i} was not pushed within {Quickly}");
            Assert.Equal(i + 1, received.Count);
            Assert.Equal(("itest_wait", $"n{i}", notifier.ProcessID), received[i]);
        }

        Assert.Equal(1, await ScalarAsync<int>(listener, "SELECT 1"));
        Assert.Equal(20, received.Count); // node 1's copies never arrive
    }

    [PostgresFact]
    public async Task NotificationsWhileTheListenerRunsQueries_AreAllDeliveredOnce()
    {
        const int count = 40;
        var table = await CreateReplicatedTableAsync("itest_listen_busy", "id int PRIMARY KEY");
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        var received = Collect(listener);
        await ExecuteAsync(listener, "LISTEN itest_busy");

        var notifying = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await ExecuteAsync(notifier, $"NOTIFY itest_busy, '{i}'");
            }
        });
        var queries = 0;
        while (!notifying.IsCompleted || queries < 20)
        {
            // Reads on node 1, and autocommit writes whose COMMIT on main is pgproxy's own.
            Assert.Equal(queries, await ScalarAsync<int>(listener, $"SELECT {queries}"));
            await ExecuteAsync(listener, $"INSERT INTO {table} VALUES ({queries})");
            queries++;
        }

        await notifying;
        while (received.Count < count)
        {
            Assert.True(await listener.WaitAsync(Quickly), $"only {received.Count} of {count} notifications arrived");
        }

        Assert.Equal([.. Enumerable.Range(0, count).Select(i => ("itest_busy", i.ToString(), notifier.ProcessID))],
            received);
        Assert.False(await listener.WaitAsync(TimeSpan.FromMilliseconds(500)), "a notification arrived twice");
        Assert.Equal(count, received.Count);
        Assert.Equal(queries, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task Unlisten_StopsDelivery()
    {
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        var received = Collect(listener);
        await ExecuteAsync(listener, "LISTEN itest_unlisten");
        await ExecuteAsync(notifier, "NOTIFY itest_unlisten, 'before'");
        Assert.True(await listener.WaitAsync(Quickly), "the notification before UNLISTEN was not pushed");

        await ExecuteAsync(listener, "UNLISTEN itest_unlisten");
        await ExecuteAsync(notifier, "NOTIFY itest_unlisten, 'after'");

        Assert.False(await listener.WaitAsync(TimeSpan.FromSeconds(1)), "a notification arrived after UNLISTEN");
        Assert.Equal(2, await ScalarAsync<int>(listener, "SELECT 2"));
        Assert.Equal([("itest_unlisten", "before", notifier.ProcessID)], received);
    }

    /// <summary>Every notification the connection gets: channel, payload and the notifier's pid.</summary>
    private static List<(string Channel, string Payload, int Pid)> Collect(NpgsqlConnection conn)
    {
        var received = new List<(string, string, int)>();
        conn.Notification += (_, e) => received.Add((e.Channel, e.Payload, e.PID));
        return received;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
