using System.Text;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// The relay of a replication connection against a scripted node: what the client sends reaches the node untouched
/// (pgproxy's own commands included), and the node going away is reported only where the client can read it.
/// </summary>
public sealed class WalSenderRelayTests
{
    [Fact]
    public async Task ClientMessages_ReachTheNodeUntouched_EvenPgproxysOwnCommands()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync("alice", "app", ("replication", "database"));
        await using var _ = client;

        await client.SendQueryAsync("SHOW POOL_NODES");
        var replies = await client.ReadToReadyOrEndAsync();

        Assert.Equal('Z', replies[^1].Type);
        Assert.Equal(["SHOW POOL_NODES"], harness.Connector.Single.Queries);
    }

    [Fact]
    public async Task NodeClosesBetweenMessages_ClientGetsFatal08006AfterWhatTheNodeSent()
    {
        await using var harness = new ProxyHarness(new ScriptedBackendScript { DisconnectAfterMessages = 1 });
        var (client, _) = await harness.ConnectAndStartAsync("alice", "app", ("replication", "true"));
        await using var _ = client;

        await client.SendQueryAsync("IDENTIFY_SYSTEM");
        var replies = await client.ReadToEndAsync();

        Assert.Equal("TDE", string.Concat(replies.Select(r => r.Type)));
        Assert.Equal("08006", replies[^1].SqlState);
    }

    [Fact]
    public async Task NodeClosesMidMessage_ClientIsJustClosed()
    {
        await using var harness = new ProxyHarness(
            new ScriptedBackendScript { DisconnectAfterMessages = 1, DisconnectMidFrame = true });
        var (client, _) = await harness.ConnectAndStartAsync("alice", "app", ("replication", "true"));
        await using var _ = client;

        await client.SendQueryAsync("IDENTIFY_SYSTEM");
        var bytes = await client.ReadAllBytesAsync();

        // An ErrorResponse here would be read as the rest of the half-sent DataRow.
        Assert.DoesNotContain("08006", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
        await client.Session.WaitAsync(RawClient.Timeout);
    }
}
