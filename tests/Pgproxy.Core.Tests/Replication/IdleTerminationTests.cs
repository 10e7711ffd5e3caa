using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Main's backend ended while the client is idle (issue 17: Npgsql's NotificationTests.Wait_breaks_connection runs
/// <c>pg_terminate_backend</c> on a connection blocked in <c>Wait()</c>, with no LISTEN). Directly, PostgreSQL sends
/// FATAL 57P01 and closes the socket at once; through two nodes the client waited forever, since main was read only
/// once a request came (even while listening). It must get the FATAL and see its connection end.
/// </summary>
public sealed class IdleTerminationTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Main_TerminatedWhileTheClientIsIdle_ClientGetsTheFatal_ConnectionEnds_BothNodesStayUp(bool listening)
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();
        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));
        if (listening)
        {
            await client.QueryAsync("LISTEN ch");
        }

        await harness.Connection(0).TerminateAsync();
        var answer = await client.ReadToEndAsync();

        var fatal = Assert.Single(answer);
        Assert.Equal('E', fatal.Type);
        Assert.Equal(SqlState.AdminShutdown, fatal.SqlState);
        Assert.Equal("FATAL", ErrorResponseMessage.Parse(fatal.Body).Severity);
        await client.WaitForSessionEndAsync();
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Main_IdleInTransactionTimeoutWhileIdle_ClientGetsTheFatal_ConnectionEnds()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();
        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN"));
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));

        await harness.Connection(0).TerminateAsync("25P03", "terminating connection due to idle-in-transaction timeout");
        var answer = await client.ReadToEndAsync();

        Assert.Equal("25P03", Assert.Single(answer).SqlState);
        await client.WaitForSessionEndAsync();
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
    }

    // Item 4 of the same issue: a read served by node 1 leaves main unread for the whole request, so main's FATAL,
    // sent meanwhile, went unnoticed and the client got node 1's answer (Npgsql's ConnectionTests: pg_sleep in a
    // transaction whose backend another connection terminates).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Main_TerminatedWhileAReadRunsOnNode1_ClientGetsTheFatal_NotNode1sReadyForQuery(bool extended)
    {
        await using var harness = new ReplicationHarness(configure: o => o with
        {
            LoadBalanceMode = true,
            Backends = [o.Backends[0] with { Weight = 0 }, o.Backends[1]],
        });
        await using var client = await harness.StartClientAsync();
        var terminated = 0;
        harness.Node(1).On(s =>
        {
            if (s.Sql == "SELECT 42" && Interlocked.Exchange(ref terminated, 1) == 0)
            {
                harness.Connection(0).TerminateAsync().GetAwaiter().GetResult(); // before node 1 answers
            }

            return s.Sql == "SELECT 42";
        }, NodeReply.Values("42"));
        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN"));

        await client.SendAsync(extended ? ClientFrames.Group("SELECT 42") : ClientFrames.Query("SELECT 42"));
        var answer = await client.ReadToEndAsync();

        Assert.Equal(SqlState.AdminShutdown, answer[^1].SqlState);
        Assert.DoesNotContain(answer, m => m.Type == 'Z');
        await client.WaitForSessionEndAsync();
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }
}
