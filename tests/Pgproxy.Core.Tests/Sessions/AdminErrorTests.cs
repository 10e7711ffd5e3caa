using System.Text;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// A refused admin command on the single-node path is pgproxy's own ErrorResponse, in its place in the client's
/// pipeline: the backend fails a plain marker statement (no PL/pgSQL <c>DO</c> block) and the backend pump puts
/// pgproxy's error in place of the marker's.
/// </summary>
public sealed class AdminErrorTests
{
    [Fact]
    public async Task NonAdminDetach_IsPgproxysOwnError_InPipelineOrder_NoDoBlock()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        byte[] pipeline = [.. RawClient.Query("PGPROXY DETACH NODE 0"), .. RawClient.Query("SELECT 1")];
        await client.SendAsync(pipeline);
        var first = await client.ReadUntilReadyForQueryAsync();
        var second = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal("EZ", string.Concat(first.Select(m => m.Type)));
        Assert.Equal("42501", first[0].SqlState);
        Assert.Contains("is not in admin_users", first[0].ErrorText, StringComparison.Ordinal);
        var body = Encoding.UTF8.GetString(first[0].Body);
        Assert.Contains("list the user in admin_users", body, StringComparison.Ordinal); // the hint
        Assert.DoesNotContain("pgproxy admin error", body, StringComparison.Ordinal);
        Assert.Equal("TDCZ", string.Concat(second.Select(m => m.Type)));
        Assert.DoesNotContain(harness.Connector.Single.Queries, q => q.StartsWith("DO ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ErrorOfTheClientsOwn_IsForwardedUnchanged_WhileARefusalIsPending()
    {
        await using var harness = new ProxyHarness(new ScriptedBackendScript
        {
            ErrorOn = sql => sql == "SELECT boom", ErrorSqlState = "22P02",
        });
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;

        byte[] pipeline = [.. RawClient.Query("SELECT boom"), .. RawClient.Query("PGPROXY ATTACH NODE 0")];
        await client.SendAsync(pipeline);
        var first = await client.ReadUntilReadyForQueryAsync();
        var second = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal("22P02", first[0].SqlState);
        Assert.Contains("scripted error", first[0].ErrorText, StringComparison.Ordinal);
        Assert.Equal("42501", second[0].SqlState);
    }
}
