using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A transaction that names neither its isolation level nor its access mode runs under the session's defaults, which
/// pgproxy asks main for (MainCatalog.TransactionDefaultsAsync). One made SERIALIZABLE READ ONLY DEFERRABLE by them
/// alone waits at its first query for the serializable writers to finish, so its snapshot must not be taken behind
/// the write gate, where their commits would wait on it; a READ WRITE one's must, as for any strict writer.
/// </summary>
public sealed class TransactionDefaultsTests
{
    private const string Read = "SELECT n FROM t";

    [Theory]
    [InlineData("on", "BEGIN", false)]
    [InlineData("on", "BEGIN READ WRITE", true)]
    [InlineData("on", "BEGIN ISOLATION LEVEL SERIALIZABLE", false)]
    [InlineData("off", "BEGIN", true)]
    [InlineData("off", "BEGIN READ ONLY", false)]
    public async Task Simple_DefaultReadOnly_DecidesWhetherTheSnapshotIsShared(string readOnly, string begin,
        bool shared)
    {
        await using var harness = Harness(readOnly);
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync(begin);
        Assert.Equal("Z T", (await client.QueryAsync(Read))[^1]);

        Assert.Equal(shared, harness.SentTo(1).Contains("Q SELECT 1"));
        Assert.Equal(shared, harness.SentTo(0).Contains("Q SELECT 1"));
    }

    [Theory]
    [InlineData("on", "BEGIN", false)]
    [InlineData("on", "BEGIN READ WRITE", true)]
    [InlineData("off", "BEGIN", true)]
    public async Task Extended_BeginInTheGroupOfTheFirstQuery_FollowsTheDefaultReadOnly(string readOnly,
        string begin, bool shared)
    {
        await using var harness = Harness(readOnly);
        await using var client = await harness.StartClientAsync();

        byte[] group = [.. ClientFrames.Parse("", begin), .. ClientFrames.Bind(), .. ClientFrames.Execute(),
            .. ClientFrames.Parse("", Read), .. ClientFrames.Bind(), .. ClientFrames.Execute(), .. ClientFrames.Sync()];
        Assert.Equal("Z T", (await client.ExchangeAsync(group))[^1]);

        Assert.Equal(shared, harness.SentTo(1).Contains("Q SELECT 1"));
    }

    /// <summary>The client's SET of default_transaction_read_only (or a set_config() call, once it ran, in either
    /// protocol) makes pgproxy ask main again.</summary>
    [Theory]
    [InlineData("SET default_transaction_read_only = on", false)]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", false)]
    [InlineData("SELECT set_config('default_transaction_read_only', 'on', false)", false)]
    [InlineData("SELECT pg_catalog.set_config($1, $2, false)", true)]
    public async Task SetDefaultReadOnly_IsAskedAgain(string set, bool extended)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("SHOW default_transaction_isolation", NodeReply.Values("serializable"))
            .On("SHOW default_transaction_read_only", NodeReply.Values("off"), times: 1)
            .On("SHOW default_transaction_read_only", NodeReply.Values("on"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Read);
        await client.QueryAsync("COMMIT");
        Assert.Single(harness.SentTo(1), "Q SELECT 1");

        if (extended)
        {
            byte[] group = [.. ClientFrames.Parse("", set), .. ClientFrames.Bind(), .. ClientFrames.Execute(),
                .. ClientFrames.Sync()];
            Assert.Equal("Z I", (await client.ExchangeAsync(group))[^1]);
        }
        else
        {
            await client.QueryAsync(set);
        }

        await client.QueryAsync("BEGIN");
        Assert.Equal("Z T", (await client.QueryAsync(Read))[^1]);
        await client.QueryAsync("COMMIT");

        Assert.Single(harness.SentTo(1), "Q SELECT 1");
    }

    private static ReplicationHarness Harness(string readOnly)
    {
        var harness = new ReplicationHarness();
        harness.Node(0).On("SHOW default_transaction_isolation", NodeReply.Values("serializable"))
            .On("SHOW default_transaction_read_only", NodeReply.Values(readOnly));
        return harness;
    }
}
