using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

public sealed class SessionStartupTests
{
    [Fact]
    public async Task Startup_AnswersWithBackendParametersMainsPidAndPgproxysOwnSecret()
    {
        await using var harness = new ProxyHarness();
        var (client, startup) = await harness.ConnectAndStartAsync();
        await using var _ = client;
        var backend = harness.Connector.Single;

        Assert.Equal('R', startup[0].Type);
        Assert.Equal(0, startup[0].Int32At(0)); // AuthenticationOk
        var parameters = startup.Where(m => m.Type == 'S').Select(m => m.Parameter).ToList();
        Assert.Equal(new ScriptedBackendScript().Parameters.Select(p => (p.Key, p.Value)), parameters);
        Assert.Contains(("server_version", "16.4 (scripted)"), parameters);

        var keyData = Assert.Single(startup, m => m.Type == 'K');
        var session = Assert.Single(harness.Runtime.Sessions.Sessions);
        Assert.Equal(session.CancelProcessId, keyData.Int32At(0));
        Assert.Equal(session.CancelSecretKey, keyData.Int32At(4));
        // The real pid, so pg_terminate_backend(conn.ProcessID) and notifications name the right process; the
        // secret stays pgproxy's own.
        Assert.Equal(backend.ProcessId, keyData.Int32At(0));
        Assert.NotEqual(backend.SecretKey, keyData.Int32At(4));

        Assert.Equal('Z', startup[^1].Type);
        Assert.Equal((byte)'I', startup[^1].Body[0]);
        Assert.Equal("alice", backend.Startup!.User);
        Assert.Equal("app", backend.Startup.Database);
    }

    [Fact]
    public async Task NumInitChildrenOne_SecondClientGetsTooManyConnectionsAtOnce()
    {
        await using var harness = new ProxyHarness(configure: o => o with { NumInitChildren = 1 });
        var (first, _) = await harness.ConnectAndStartAsync();
        await using var __ = first;

        // The same user: the slot is taken after authentication, and the main node's answer for alice is
        // remembered, so a refused client costs no backend connection at all.
        await using var second = harness.Connect();
        await second.SendStartupAsync("alice", "app");
        var replies = await second.ReadToEndAsync();

        var error = Assert.Single(replies);
        Assert.Equal('E', error.Type);
        Assert.Equal("53300", error.SqlState);
        Assert.Equal("sorry, too many clients already",
            Protocol.Backend.ErrorResponseMessage.Parse(error.Body).Message);
        await second.WaitForSessionEndAsync();
        Assert.False(first.Session.IsCompleted);
        Assert.Equal(1, harness.Connector.ConnectCount);
    }
}
