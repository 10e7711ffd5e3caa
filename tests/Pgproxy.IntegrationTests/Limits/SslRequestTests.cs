using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

/// <summary>pgproxy has no TLS configured: an SSLRequest is answered 'N' and the session goes on in plain text.</summary>
[Collection(LimitsSuite.Name)]
public sealed class SslRequestTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task SslRequest_Raw_AnsweredNThenPlainStartupWorks()
    {
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);

        await raw.SendAsync(RawPgClient.SslRequest());
        Assert.Equal('N', (char)await raw.ReadByteAsync());

        await raw.StartupAsync();
        await raw.SendAsync(RawPgClient.Query("SELECT 1"));
        var messages = await raw.ReadUntilReadyAsync();
        Assert.Equal("TDCZ", new string(messages.Select(m => m.Type).ToArray()));
    }

    [PostgresFact]
    public async Task Open_SslModePrefer_FallsBackToPlainText()
    {
        await using var conn = await OpenAsync(b => b.SslMode = SslMode.Prefer);
        await using var cmd = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", conn);

        Assert.Equal(false, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task Open_SslModeRequire_FailsWithSslError()
    {
        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => OpenAsync(b => b.SslMode = SslMode.Require));

        Assert.Contains("SSL", error.Message, StringComparison.OrdinalIgnoreCase);
        await Poll.UntilAsync(() => Proxy.Server.SessionCount == 0, TimeSpan.FromSeconds(5), "the refused session to end");
    }
}
