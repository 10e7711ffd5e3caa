using System.Net;
using System.Net.Sockets;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.Core.Transport;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Tls;

/// <summary>
/// <c>ssl = on</c>: clients that ask get TLS (Npgsql, psql, pgbench), clients that do not still get plain text,
/// plain text slipped in after the SSLRequest ends that session only, and a reload changes the certificate for
/// new sessions.
/// </summary>
[Collection(TlsSuite.Name)]
public sealed class TlsClientTests(TlsCluster cluster) : ProxyTestBase(cluster)
{
    private static readonly Dictionary<string, string?> RequireTls = new() { ["PGSSLMODE"] = "require" };

    protected override ProxyOptions Configure(ProxyOptions options) => options with
    {
        Ssl = true,
        SslCert = cluster.ProxyCertificate.CertFile,
        SslKey = cluster.ProxyCertificate.KeyFile,
    };

    [PostgresFact]
    public async Task Npgsql_VerifyFullAgainstTheCa_ConnectsAndQueries()
    {
        await using var conn = await OpenAsync(b =>
        {
            b.SslMode = SslMode.VerifyFull;
            b.RootCertificate = cluster.Pki.CaFile;
        });
        await using var cmd = new NpgsqlCommand("SELECT 'over tls'", conn);

        Assert.Equal("over tls", await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task Npgsql_SslModeRequire_ManyRoundTripsAndALargeResult()
    {
        await using var conn = await OpenAsync(b => b.SslMode = SslMode.Require);
        for (var i = 0; i < 200; i++)
        {
            await using var ping = new NpgsqlCommand($"SELECT {i}", conn);
            Assert.Equal(i, await ping.ExecuteScalarAsync());
        }

        // Several MB: many TLS records each way through the proxy.
        await using var cmd = new NpgsqlCommand(
            "SELECT sum(length(t)) FROM (SELECT repeat('x', 1000) || g AS t FROM generate_series(1, 5000) g) s", conn);
        Assert.True((long)(await cmd.ExecuteScalarAsync())! > 5_000_000);
        await using var rows = new NpgsqlCommand("SELECT repeat('y', 1000) FROM generate_series(1, 5000)", conn);
        await using var reader = await rows.ExecuteReaderAsync();
        var count = 0;
        while (await reader.ReadAsync())
        {
            Assert.Equal(1000, reader.GetString(0).Length);
            count++;
        }

        Assert.Equal(5000, count);
    }

    [PostgresFact]
    public async Task Npgsql_SslModeDisable_StillServedInPlainText()
    {
        await using var conn = await OpenAsync(b => b.SslMode = SslMode.Disable);
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);

        Assert.Equal(1, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task Psql_SslModeRequire_ReportsAnSslConnection()
    {
        var result = await PgTools.PsqlAsync(Proxy.Port, PostgresInstance.User, RequireTls, "-c", @"\conninfo");

        result.EnsureSuccess();
        Assert.Contains("SSL connection (protocol: TLSv1.", result.StdOut, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Psql_VerifyFullWithTheCa_RunsAQuery()
    {
        var settings = new Dictionary<string, string?>
        {
            ["PGSSLMODE"] = "verify-full",
            ["PGSSLROOTCERT"] = cluster.Pki.CaFile,
        };

        var result = await PgTools.PsqlAsync(Proxy.Port, PostgresInstance.User, settings, "-Atc", "SELECT 40 + 2");

        Assert.Equal("42", result.EnsureSuccess().StdOut.Trim());
    }

    [PostgresFact]
    public async Task Pgbench_SelectOnlyOverTls_NoFailures()
    {
        (await PgTools.PgbenchAsync(Node.Port, "-i", "-s", "1", "-q")).EnsureSuccess();

        var result = await PgTools.PgbenchAsync(Proxy.Port, RequireTls, "-S", "-t", "250", "-c", "4", "-j", "2");

        result.EnsureSuccess();
        Assert.Contains("number of failed transactions: 0", result.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"tps = [1-9]", result.StdOut);
    }

    [PostgresFact]
    public async Task SslRequest_WithPlainTextPipelinedBehindIt_Refused08P01OthersUnaffected()
    {
        await using var bystander = await OpenAsync(b => b.SslMode = SslMode.Require);
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);

        // What a man in the middle does: the StartupMessage rides in plain text right behind the SSLRequest.
        await raw.SendAsync([.. RawPgClient.SslRequest(), .. RawPgClient.StartupMessage()]);
        var messages = await raw.ReadToEndAsync();

        var error = Assert.Single(messages);
        Assert.Equal('E', error.Type);
        Assert.Equal("08P01", RawPgClient.ErrorField(error.Body, 'C'));
        Assert.Equal("received unencrypted data after SSL request", RawPgClient.ErrorField(error.Body, 'M'));
        await using var cmd = new NpgsqlCommand("SELECT 'still fine'", bystander);
        Assert.Equal("still fine", await cmd.ExecuteScalarAsync());
        await Poll.UntilAsync(() => Proxy.Server.SessionCount == 1, TimeSpan.FromSeconds(5), "the refused session to end");
    }

    [PostgresFact]
    public async Task TlsHandshake_GarbageInsteadOfAClientHello_ClosedOthersUnaffected()
    {
        await using var bystander = await OpenAsync(b => b.SslMode = SslMode.Require);
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.SendAsync(RawPgClient.SslRequest());
        Assert.Equal('S', (char)await raw.ReadByteAsync());

        await raw.SendAsync(RawPgClient.StartupMessage());

        // The handshake fails: at most a TLS alert (record type 0x15) comes back, never a PostgreSQL message.
        var first = await raw.ReadByteAsync();
        var more = 0;
        while (first != -1 && await raw.ReadByteAsync() != -1)
        {
            more++;
        }

        Assert.True(first is -1 or 0x15, $"first byte 0x{first:x2}");
        Assert.True(more < 64, $"{more} more bytes");
        await using var cmd = new NpgsqlCommand("SELECT 'still fine'", bystander);
        Assert.Equal("still fine", await cmd.ExecuteScalarAsync());
        await Poll.UntilAsync(() => Proxy.Server.SessionCount == 1, TimeSpan.FromSeconds(5), "the failed session to end");
    }

    [PostgresFact]
    public async Task Reload_NewCertificate_ServedToNewSessionsWhileOldOnesCarryOn()
    {
        Assert.Equal(cluster.ProxyCertificate.Thumbprint, await TlsProbe.ServerThumbprintAsync(Proxy.Port));
        await using var before = await OpenAsync(b => b.SslMode = SslMode.Require);
        var renewed = cluster.Pki.IssueServer();

        var restart = Proxy.Server.Reload(Proxy.Server.Options with { SslCert = renewed.CertFile, SslKey = renewed.KeyFile });

        Assert.Empty(restart);
        Assert.Equal(renewed.Thumbprint, await TlsProbe.ServerThumbprintAsync(Proxy.Port));
        await using var cmd = new NpgsqlCommand("SELECT 'old session'", before);
        Assert.Equal("old session", await cmd.ExecuteScalarAsync());
        await using var after = await OpenAsync(b => b.SslMode = SslMode.Require);
        await using var cmd2 = new NpgsqlCommand("SELECT 'new session'", after);
        Assert.Equal("new session", await cmd2.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task Reload_UnreadableKey_RefusedAndTheOldCertificateStays()
    {
        var missingKey = Path.Combine(cluster.Pki.Directory, "missing.key");

        var error = Assert.Throws<ProxyConfigurationException>(
            () => Proxy.Server.Reload(Proxy.Server.Options with { SslKey = missingKey }));

        Assert.Contains(error.Problems, p => p.StartsWith("ssl_key:", StringComparison.Ordinal) && p.Contains(missingKey, StringComparison.Ordinal));
        Assert.Equal(cluster.ProxyCertificate.Thumbprint, await TlsProbe.ServerThumbprintAsync(Proxy.Port));
    }

    [PostgresFact]
    public async Task SocketsFallbackTransport_SslModeRequire_Works()
    {
        // The client reaches the proxy through a listener of the test, which hands the socket to the session as
        // .NET's socket-engine transport (PGPROXY_TRANSPORT=sockets) instead of the epoll one.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var handOver = Task.Run(async () =>
        {
            var socket = await listener.AcceptAsync();
            socket.NoDelay = true;
            return Proxy.Server.Accept(new SocketPipe(socket), socket.RemoteEndPoint!.ToString()!,
                ((IPEndPoint)socket.RemoteEndPoint).Address);
        });
        var builder = new NpgsqlConnectionStringBuilder(Proxy.ConnectionString(b => b.SslMode = SslMode.Require))
        {
            Port = port,
        };

        await using (var conn = new NpgsqlConnection(builder.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT 'sockets over tls'", conn);
            Assert.Equal("sockets over tls", await cmd.ExecuteScalarAsync());
        }

        await (await handOver).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
