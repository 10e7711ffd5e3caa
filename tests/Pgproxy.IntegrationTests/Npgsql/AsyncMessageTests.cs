using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

/// <summary>Messages the backend sends on its own: NotificationResponse, NoticeResponse, ParameterStatus.</summary>
[Collection(NpgsqlSuite.Name)]
public sealed class AsyncMessageTests(OneNode cluster) : ProxyTestBase(cluster)
{
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(10);

    [PostgresFact]
    public async Task Notify_FromAnotherConnection_ListenerReceivesChannelAndPayload()
    {
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        NpgsqlNotificationEventArgs? received = null;
        listener.Notification += (_, e) => received = e;
        await Execute(listener, "LISTEN itest_channel");

        await Execute(notifier, "NOTIFY itest_channel, 'the payload'");

        Assert.True(await listener.WaitAsync(NotifyTimeout), "no notification within 10 s");
        Assert.NotNull(received);
        Assert.Equal("itest_channel", received.Channel);
        Assert.Equal("the payload", received.Payload);
    }

    [PostgresFact]
    public async Task Notify_FromAnotherConnection_PidIsTheNotifiersProcessID()
    {
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        NpgsqlNotificationEventArgs? received = null;
        listener.Notification += (_, e) => received = e;
        await Execute(listener, "LISTEN itest_pid_channel");

        await Execute(notifier, "NOTIFY itest_pid_channel, 'x'");

        Assert.True(await listener.WaitAsync(NotifyTimeout), "no notification within 10 s");
        Assert.Equal(notifier.ProcessID, received!.PID);
    }

    [PostgresFact]
    public async Task Notify_ToItself_PidIsItsOwnProcessIDAndBackendPid()
    {
        await using var conn = await OpenAsync();
        NpgsqlNotificationEventArgs? received = null;
        conn.Notification += (_, e) => received = e;
        await Execute(conn, "LISTEN itest_self");
        await using var backendPid = new NpgsqlCommand("SELECT pg_backend_pid()", conn);
        var realPid = (int)(await backendPid.ExecuteScalarAsync())!;

        await Execute(conn, "NOTIFY itest_self, 'me'");
        if (received is null)
        {
            Assert.True(await conn.WaitAsync(NotifyTimeout), "no notification within 10 s");
        }

        Assert.Equal("me", received!.Payload);
        Assert.Equal(conn.ProcessID, received.PID);
        Assert.Equal(realPid, conn.ProcessID);
    }

    [PostgresFact]
    public async Task RaiseNotice_InDoBlock_RaisesNoticeEvent()
    {
        await using var conn = await OpenAsync();
        var notices = new List<PostgresNotice>();
        conn.Notice += (_, e) => notices.Add(e.Notice);

        await Execute(conn, "DO $$ BEGIN RAISE NOTICE 'hi'; END $$");

        var notice = Assert.Single(notices);
        Assert.Equal("hi", notice.MessageText);
        Assert.Equal("NOTICE", notice.InvariantSeverity);
    }

    [PostgresFact]
    public async Task SetApplicationName_ReportedByParameterStatusAndShow()
    {
        await using var conn = await OpenAsync();

        await Execute(conn, "SET application_name = 'itest_app'");

        Assert.Equal("itest_app", conn.PostgresParameters["application_name"]);
        await using var show = new NpgsqlCommand("SHOW application_name", conn);
        Assert.Equal("itest_app", await show.ExecuteScalarAsync());
    }

    private static async Task Execute(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
