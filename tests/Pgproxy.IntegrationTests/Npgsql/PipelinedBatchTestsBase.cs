using System.Buffers.Binary;
using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

/// <summary>
/// Issue 17 item 6: one NpgsqlBatch whose first command returns a large result and whose second carries a 5 MB
/// parameter. Npgsql writes the second command while it reads the first one's rows, so a proxy that stops reading
/// the client while it forwards rows (or the reverse) deadlocks: the backend blocks writing rows, the client blocks
/// writing the parameter. Run in front of one node and of two; bounded, so a deadlock fails instead of hanging.
/// </summary>
public abstract class PipelinedBatchTestsBase(PgClusterFixture cluster) : ProxyTestBase(cluster)
{
    private const int Rows = 500_000;
    private const int ParameterLength = 5_000_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyList<PostgresInstance> _nodes = cluster.Nodes;

    [PostgresFact]
    public async Task Batch_WithLargeResult_ThenLargeParameter_Completes()
    {
        var application = "itest_batch_" + Guid.NewGuid().ToString("N")[..10];
        var parameter = new string('p', ParameterLength);
        Exception? failure = null;
        var (rows, echoed) = (0, 0);
        var conn = await OpenAsync(b => ConfigureBounded(b, application));
        try
        {
            using var timeout = new CancellationTokenSource(Limit);
            (rows, echoed) = await RunBatchAsync(conn, parameter, timeout.Token)
                .WaitAsync(Limit + TimeSpan.FromSeconds(15));
        }
        catch (Exception e)
        {
            // A deadlock ends here: check the backends first (a stuck connection may not even close).
            failure = e;
        }

        await IgnoringFailureAsync(conn.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        await AssertNoBackendLeftBusyAsync($"application_name = '{application}'");
        Assert.Null(failure);
        Assert.Equal(Rows, rows);
        Assert.Equal(ParameterLength, echoed);
    }

    /// <summary>
    /// The client leaves while the rows are coming and it is halfway through writing a 5 MB Bind, having read
    /// nothing: no backend of the session may stay blocked writing to pgproxy (ClientWrite) or running.
    /// </summary>
    [PostgresFact]
    public async Task Batch_ClientLeavingMidway_LeavesNoBackendInClientWrite()
    {
        var tag = "itest_batchl_" + Guid.NewGuid().ToString("N")[..10];
        var client = await RawPgClient.ConnectAsync(Proxy.Port);
        await client.StartupAsync();
        await client.SendAsync(RawPgClient.Parse($"SELECT generate_series(1, {Rows}) /* {tag} */"),
            RawPgClient.Bind(), RawPgClient.Execute(), RawPgClient.Parse("SELECT $1"));
        var bind = BindWithText(ParameterLength);
        // Part of the Bind only: pgproxy has a message in progress when the client goes.
        await client.SendAsync(bind[..(ParameterLength / 5)]).WaitAsync(Limit);
        await Task.Delay(500);
        await client.DisposeAsync();

        await AssertNoBackendLeftBusyAsync($"query LIKE '%{tag}%'");
    }

    /// <summary>A Bind of the unnamed statement with one text parameter of <paramref name="length"/> bytes.</summary>
    private static byte[] BindWithText(int length)
    {
        var frame = new byte[5 + 2 + 2 + 2 + 4 + length + 2];
        frame[0] = (byte)'B';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), frame.Length - 1);
        // portal "" and statement "" (two zero bytes), no format codes, one parameter of `length` bytes.
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(9), 1);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(11), length);
        frame.AsSpan(15, length).Fill((byte)'p');
        return frame;
    }

    protected static async Task IgnoringFailureAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // Closing a deadlocked connection: the test has already failed for the reason that matters.
        }
    }

    private static void ConfigureBounded(NpgsqlConnectionStringBuilder builder, string application)
    {
        builder.ApplicationName = application;
        builder.CommandTimeout = (int)Limit.TotalSeconds;
        builder.CancellationTimeout = -1; // on timeout, break the connection at once: the client leaves
        builder.Pooling = false;
    }

    private static NpgsqlBatch Batch(NpgsqlConnection conn, string parameter)
    {
        var batch = new NpgsqlBatch(conn);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT generate_series(1, {Rows})"));
        var echo = new NpgsqlBatchCommand("SELECT $1");
        echo.Parameters.Add(new NpgsqlParameter { Value = parameter, NpgsqlDbType = NpgsqlDbType.Text });
        batch.BatchCommands.Add(echo);
        return batch;
    }

    private static async Task<(int Rows, int Echoed)> RunBatchAsync(NpgsqlConnection conn, string parameter,
        CancellationToken cancellation)
    {
        await using var batch = Batch(conn, parameter);
        await using var reader = await batch.ExecuteReaderAsync(cancellation);
        var rows = 0;
        while (await reader.ReadAsync(cancellation))
        {
            rows++;
        }

        Assert.True(await reader.NextResultAsync(cancellation));
        Assert.True(await reader.ReadAsync(cancellation));
        return (rows, reader.GetString(0).Length);
    }

    /// <summary>
    /// Waits until no backend that <paramref name="which"/> selects, on any node, is still active (blocked in
    /// ClientWrite or running).
    /// </summary>
    private Task AssertNoBackendLeftBusyAsync(string which) =>
        NodeSql.AssertEventuallyNoneAsync(_nodes,
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            + $"AND pid <> pg_backend_pid() AND {which} AND (state <> 'idle' OR wait_event = 'ClientWrite')",
            "backend(s) of the session still busy (ClientWrite)");
}
