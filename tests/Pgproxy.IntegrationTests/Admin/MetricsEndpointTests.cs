using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>The Prometheus endpoint of an in-process two-node proxy, scraped over HTTP after known traffic.</summary>
[Collection(AdminSuite.Name)]
public sealed partial class MetricsEndpointTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    private readonly int _metricsPort = PgproxyCli.FreePort();

    protected override ProxyOptions Configure(ProxyOptions options) =>
        base.Configure(options) with { MetricsPort = _metricsPort };

    [PostgresFact]
    public async Task Scrape_AfterQueries_ShowsPlausibleValues()
    {
        var table = NodeSql.UniqueTable("metrics");
        await using (var conn = await OpenAsync())
        {
            await Run(conn, $"CREATE TABLE {table} (id int)");
            for (var i = 0; i < 10; i++)
            {
                await Run(conn, $"INSERT INTO {table} VALUES ({i})");
                await Run(conn, $"SELECT count(*) FROM {table}");
            }

            await Assert.ThrowsAsync<PostgresException>(() => Run(conn, "SELECT * FROM no_such_metrics_table"));
        }

        await using var open = await OpenAsync();
        await Run(open, "SELECT 1");
        using var http = new HttpClient();

        using var response = await http.GetAsync(MetricsUrl("/metrics"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var samples = Parse(text);
        Assert.True(samples["pgproxy_sessions_total"] >= 2);
        Assert.True(samples["pgproxy_sessions_current"] >= 1);
        Assert.True(samples["pgproxy_client_slots_in_use"] >= 1);
        for (var node = 0; node < 2; node++)
        {
            // Every write (CREATE + 10 INSERTs) ran on both nodes; the reads on one node each.
            Assert.True(samples[$"pgproxy_statements_total{{node=\"{node}\",class=\"write\"}}"] >= 11);
            Assert.True(samples[$"pgproxy_node_commands_total{{node=\"{node}\",command=\"insert\"}}"] >= 10);
            Assert.Equal(node == 0 ? 1 : 0, samples[$"pgproxy_node_main{{node=\"{node}\"}}"]);
            Assert.Equal(1, samples[StatusSample(node, "up")]);
            Assert.Equal(0, samples[$"pgproxy_node_degenerations_total{{node=\"{node}\"}}"]);
            Assert.True(samples[$"pgproxy_backend_connections{{node=\"{node}\",state=\"in_use\"}}"] >= 1);
        }

        Assert.True(samples["pgproxy_statements_total{node=\"0\",class=\"read\"}"]
                    + samples["pgproxy_statements_total{node=\"1\",class=\"read\"}"] >= 10);
        Assert.True(samples["pgproxy_node_errors_total{node=\"0\",severity=\"error\"}"]
                    + samples["pgproxy_node_errors_total{node=\"1\",severity=\"error\"}"] >= 1);
        foreach (var statementClass in new[] { "write", "read" })
        {
            var count = samples[$"pgproxy_statement_duration_seconds_count{{class=\"{statementClass}\"}}"];
            var p50 = samples[$"pgproxy_statement_duration_seconds{{class=\"{statementClass}\",quantile=\"0.5\"}}"];
            var p90 = samples[$"pgproxy_statement_duration_seconds{{class=\"{statementClass}\",quantile=\"0.9\"}}"];
            var p99 = samples[$"pgproxy_statement_duration_seconds{{class=\"{statementClass}\",quantile=\"0.99\"}}"];
            var sum = samples[$"pgproxy_statement_duration_seconds_sum{{class=\"{statementClass}\"}}"];
            Assert.True(count >= 10, $"{statementClass}: {count} timed");
            Assert.True(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 < 60, $"{statementClass}: {p50} {p90} {p99}");
            Assert.True(sum > 0 && sum < count * 60, $"{statementClass}: sum {sum}");
        }
    }

    [PostgresFact]
    public async Task OtherPathsAndMethods_GetHttpErrors_AndTheEndpointKeepsServing()
    {
        using var http = new HttpClient();

        using var notFound = await http.GetAsync(MetricsUrl("/"));
        using var wrongMethod = await http.PostAsync(MetricsUrl("/metrics"), new StringContent("x"));
        var garbage = await SendRawAsync("NOT HTTP AT ALL\r\n\r\n");
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, MetricsUrl("/metrics")));
        using var ok = await http.GetAsync(MetricsUrl("/metrics?x=1"));

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", garbage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("", await head.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("# TYPE pgproxy_sessions_total counter", await ok.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Degeneration_IsCountedAndTheStatusGaugeMoves()
    {
        await ExecuteAsync("PGPROXY DETACH NODE 1");
        using var http = new HttpClient();

        var samples = Parse(await http.GetStringAsync(MetricsUrl("/metrics")));

        Assert.Equal(1, samples["pgproxy_node_degenerations_total{node=\"1\"}"]);
        Assert.Equal(1, samples[StatusSample(1, "down")]);
        Assert.Equal(0, samples[StatusSample(1, "up")]);
    }

    [PostgresFact]
    public async Task MetricsPortZero_OpensNoEndpoint()
    {
        await using var host = ProxyHost.Start(Cluster, o => o with { MetricsPort = 0 });
        await using var conn = await host.OpenAsync();

        Assert.Null(host.Server.Metrics);
        Assert.NotNull(Proxy.Server.Metrics);
        Assert.Equal(_metricsPort, ((IPEndPoint)Proxy.Server.Metrics!.Endpoints.Single()).Port);
    }

    private string StatusSample(int node, string status) =>
        $"pgproxy_node_status{{node=\"{node}\",hostname=\"127.0.0.1\",port=\"{Nodes[node].Port}\"," +
        $"status=\"{status}\"}}";

    private string MetricsUrl(string path) =>
        $"http://{PostgresInstance.Host}:{_metricsPort.ToString(CultureInfo.InvariantCulture)}{path}";

    private async Task<string> SendRawAsync(string request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(PostgresInstance.Host), _metricsPort);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        var answer = new StringBuilder();
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    private static async Task Run(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Every sample line, keyed by name and labels as written.</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"malformed line: {line}");
            samples[match.Groups[1].Value] = match.Groups[2].Value == "NaN"
                ? double.NaN
                : double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    [GeneratedRegex(@"^(\S+) (\S+)$")]
    private static partial Regex Sample();
}
