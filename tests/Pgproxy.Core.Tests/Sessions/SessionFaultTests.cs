using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

public sealed class SessionFaultTests
{
    [Theory]
    [InlineData(new byte[] { (byte)'y', 0, 0, 0, 4 })]         // unknown message type
    [InlineData(new byte[] { (byte)'Q', 0, 0, 0, 3, 0 })]      // length below 4
    [InlineData(new byte[] { (byte)'S', 0, 0, 0, 5, 0 })]      // Sync with a body
    public async Task ProtocolViolation_Sends08P01_EndsTheSessionAndClosesTheBackend(byte[] frame)
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var backend = harness.Connector.Single;

        await client.SendAsync(frame);
        var replies = await client.ReadToEndAsync();
        await client.WaitForSessionEndAsync();
        await backend.Closed.WaitAsync(RawClient.Timeout);

        var error = Assert.Single(replies);
        Assert.Equal('E', error.Type);
        Assert.Equal("08P01", error.SqlState);
        Assert.Empty(backend.Received);
        Assert.Equal(0, harness.Runtime.Pool.IdleCount);
    }

    [Fact]
    public async Task ProtocolViolation_AfterValidQueriesInTheSameWrite_AnswersThemFirst()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendAsync(RawClient.Query("SELECT 1").Concat(RawClient.Query("SELECT 2"))
            .Concat(new byte[] { (byte)'y', 0, 0, 0, 4 }).ToArray());
        var replies = await client.ReadToEndAsync();

        Assert.Equal("TDCZTDCZE", string.Concat(replies.Select(m => m.Type)));
        Assert.Equal("08P01", replies[^1].SqlState);
        Assert.Equal(["SELECT 1", "SELECT 2"], harness.Connector.Single.Queries);
    }

    [Fact]
    public async Task BackendDisconnectMidResult_ClientGets08006AndTheSessionEnds()
    {
        await using var harness = new ProxyHarness(new ScriptedBackendScript { DisconnectAfterMessages = 1 });
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync("SELECT 1");
        var replies = await client.ReadToEndAsync();
        await client.WaitForSessionEndAsync();

        Assert.Equal("TDE", string.Concat(replies.Select(m => m.Type)));
        Assert.Equal("08006", replies[^1].SqlState);
        Assert.Equal(0, harness.Runtime.Pool.IdleCount);
    }

    [Fact]
    public async Task BackendDisconnectMidFrame_NothingIsAppendedToThePartialFrame()
    {
        await using var harness = new ProxyHarness(
            new ScriptedBackendScript { DisconnectAfterMessages = 1, DisconnectMidFrame = true });
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        await client.SendQueryAsync("SELECT 1");
        var received = await client.ReadAllBytesAsync();
        await client.WaitForSessionEndAsync();

        // Once part of a message has gone out, a well-formed ErrorResponse can no longer follow it: the only
        // honest signal left is closing the connection.
        Assert.Equal(harness.Connector.Single.Sent, received);
    }
}
