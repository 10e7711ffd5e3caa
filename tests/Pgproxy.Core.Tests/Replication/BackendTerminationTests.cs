using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// One session's backend ended with FATAL 57P01 (issue 16 item 14: <c>pg_terminate_backend</c> from another session)
/// is that session's loss: the client gets PostgreSQL's FATAL and its connection ends, as it would directly, and
/// every node stays up for everyone else. When the node is really going away (it refuses a new connection, as
/// PostgreSQL does while shutting down), or when the node's COMMIT was on its way, the node is taken out as before.
/// </summary>
public sealed class BackendTerminationTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";

    [Fact]
    public async Task Main_BackendTerminated_ClientGetsTheFatal_SessionEnds_BothNodesStayUp()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("SELECT 1", NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.SendQueryAsync("SELECT 1");
        var answer = await client.ReadToEndAsync();

        AssertEndsWithFatal57P01(answer);
        await client.WaitForSessionEndAsync();
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        await using var fresh = await harness.StartClientAsync();
        Assert.Equal(["C INSERT 0 1", "Z I"], await fresh.QueryAsync(Insert));
        Assert.Contains("Q " + Insert, harness.SentTo(0));
        Assert.Contains("Q " + Insert, harness.SentTo(1));
    }

    [Fact]
    public async Task Main_BackendTerminated_InAnExtendedGroup_ClientGetsTheFatal_BothNodesStayUp()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("SELECT 1", NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.Group("SELECT 1"));
        var answer = await client.ReadToEndAsync();

        AssertEndsWithFatal57P01(answer);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Main_TerminatedAnsweringTheBeginPgproxyInjected_ClientGetsTheFatal_BothNodesStayUp()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("BEGIN", NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.SendQueryAsync(Insert);
        var answer = await client.ReadToEndAsync();

        AssertEndsWithFatal57P01(answer);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Empty(harness.SentTo(1));
    }

    [Fact]
    public async Task Other_BackendTerminated_UnderAWrite_SessionEnds_MainNeverCommits_BothNodesStayUp()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.SendQueryAsync(Insert);
        var answer = await client.ReadToEndAsync();

        // Not main's INSERT 0 1: the write is lost with the session (main's transaction rolls back as its connection
        // closes), as PostgreSQL ends a client whose backend was terminated.
        AssertEndsWithFatal57P01(answer);
        Assert.DoesNotContain(answer, m => m.Type == 'C');
        await client.WaitForSessionEndAsync();
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Other_BackendTerminated_InsideTheClientsTransaction_CommitGetsTheFatal_NothingCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();
        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN"));
        // Inside a transaction the others' answers are read later (DESIGN §3): the client has main's at once.
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));

        await client.SendQueryAsync("COMMIT");
        var answer = await client.ReadToEndAsync();

        AssertEndsWithFatal57P01(answer);
        Assert.DoesNotContain(answer, m => m.Type == 'C');
        await client.WaitForSessionEndAsync();
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    // Regression guard (passes before the fix too): pg_ctl stop -m fast sends the same 57P01 to every backend, and
    // then refuses new connections with 57P03 — that node is going away and must be taken out.
    [Fact]
    public async Task Main_Terminated_WhileItsNodeShutsDown_NodeIsDegenerated_AndTheWriteRunsOnTheNext()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert, NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();
        harness.Node(0).RefuseConnectionsWith = SqlState.CannotConnectNow;

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(1));
    }

    // Regression guard (passes before the fix too): main's COMMIT went out with node 1's, so node 1 may lack what
    // main committed — its backend ending there cannot be this session's loss alone.
    [Fact]
    public async Task Other_TerminatedAnsweringItsCommit_NodeIsDegenerated_TheWriteStandsOnMain()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    // pg_ctl stop -m fast between statements, then an INSERT whose table pgproxy must first look up in main's
    // catalog (the cache of table columns is process-wide, and any session's CREATE/ALTER/DROP empties it): main's
    // 57P01 answers that catalog query. It was read as a failed catalog query and the closed connection behind it
    // ended the session without a word (a plain IOException); now it is judged like any reply: the node is going away,
    // so it is taken out, the client gets 40001 and the session goes on on node 1.
    [Fact]
    public async Task Main_TerminatedAnsweringACatalogQuery_WhileItsNodeShutsDown_ClientGets40001_SessionGoesOn()
    {
        var table = "t_" + Guid.NewGuid().ToString("N")[..12]; // never cached: the catalog query must run
        var insert = $"INSERT INTO {table} VALUES (2)";
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(s => s.Sql.Contains("pg_catalog", StringComparison.Ordinal)
                                && s.Sql.Contains(table, StringComparison.Ordinal), NodeReply.Terminated(), times: 1);
        await using var client = await harness.StartClientAsync();
        harness.Node(0).RefuseConnectionsWith = SqlState.CannotConnectNow;

        await client.SendAsync(ClientFrames.Group(insert));
        var answer = await client.ReadToReadyOrEndAsync();

        var error = Assert.Single(answer, m => m.Type == 'E');
        Assert.Equal("40001", error.SqlState);
        Assert.Equal('Z', answer[^1].Type);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Contains("57P01", harness.Runtime.Nodes.Find(0)!.LastStatusReason, StringComparison.Ordinal);
        await client.SendAsync(ClientFrames.Group(insert));
        var next = await client.ReadToReadyOrEndAsync();
        Assert.DoesNotContain(next, m => m.Type == 'E');
        Assert.Equal('Z', next[^1].Type);
        Assert.Contains(harness.SentTo(1), text => text.Contains(insert, StringComparison.Ordinal));
    }

    private static void AssertEndsWithFatal57P01(IReadOnlyList<BackendMessage> answer)
    {
        Assert.NotEmpty(answer);
        var last = answer[^1];
        Assert.Equal('E', last.Type);
        Assert.Equal(SqlState.AdminShutdown, last.SqlState);
        Assert.Equal("FATAL", ErrorResponseMessage.Parse(last.Body).Severity);
        Assert.Equal("terminating connection due to administrator command", last.ErrorText);
    }
}
