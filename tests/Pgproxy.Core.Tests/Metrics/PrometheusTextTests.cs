using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Prometheus;

namespace Pgproxy.Core.Tests.Metrics;

public sealed partial class PrometheusTextTests
{
    [Fact]
    public void Writer_FollowsTheTextFormat()
    {
        var text = new PrometheusTextWriter()
            .Family("x_total", "counter", "Help with a \\ backslash\nand a newline.")
            .Sample("x_total", 3, ("node", "0"), ("host", "a\"b\\c\nd"))
            .Sample("x_total", 4L)
            .Family("y", "gauge", "Y.")
            .Sample("y", double.NaN)
            .Sample("y", 0.25, ("q", "0.5"))
            .ToString();

        Assert.Equal(
            "# HELP x_total Help with a \\\\ backslash\\nand a newline.\n" +
            "# TYPE x_total counter\n" +
            "x_total{node=\"0\",host=\"a\\\"b\\\\c\\nd\"} 3\n" +
            "x_total 4\n" +
            "# HELP y Y.\n" +
            "# TYPE y gauge\n" +
            "y NaN\n" +
            "y{q=\"0.5\"} 0.25\n",
            text);
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(1e-6, "1E-06")]
    [InlineData(12.5, "12.5")]
    public void Format_SpecialAndSmallValues(double value, string expected) =>
        Assert.Equal(expected, PrometheusTextWriter.Format(value));

    [Fact]
    public async Task Report_HasEveryFamilyWithHelpAndType_AndOnlyWellFormedSamples()
    {
        var options = new ProxyOptions
        {
            Backends =
            [
                new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5433 },
                new BackendConfig { NodeId = 1, Hostname = "127.0.0.1", Port = 5434 },
            ],
            NumInitChildren = 7,
        };
        var runtime = new ProxyRuntime(options, NullLoggerFactory.Instance, TimeProvider.System);
        await using var _ = runtime.Pool;
        runtime.Metrics.SessionOpened();
        runtime.Metrics.SessionOpened();
        runtime.Metrics.SessionClosed();
        runtime.Nodes.Nodes[1].Statistics.CountStatement(StatementClass.Read);
        runtime.Metrics.Latency(StatementClass.Read).Record(1500);
        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[1], "test");

        var text = MetricsReport.Build(runtime);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        string? family = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                family = line.Split(' ')[2];
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                Assert.Equal(family, line.Split(' ')[2]);
                Assert.Contains(line.Split(' ')[3], new[] { "counter", "gauge", "summary" });
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"malformed sample line: {line}");
            Assert.StartsWith(family!, match.Groups["name"].Value, StringComparison.Ordinal);
        }

        Assert.Contains("pgproxy_sessions_current 1\n", text, StringComparison.Ordinal);
        Assert.Contains("pgproxy_sessions_total 2\n", text, StringComparison.Ordinal);
        Assert.Contains("pgproxy_client_slots_max 7\n", text, StringComparison.Ordinal);
        Assert.Contains("pgproxy_statements_total{node=\"1\",class=\"read\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("pgproxy_node_degenerations_total{node=\"1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("pgproxy_node_degenerations_total{node=\"0\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains(
            "pgproxy_node_status{node=\"1\",hostname=\"127.0.0.1\",port=\"5434\",status=\"down\"} 1\n", text,
            StringComparison.Ordinal);
        Assert.Contains("pgproxy_node_main{node=\"0\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("pgproxy_statement_duration_seconds{class=\"read\",quantile=\"0.99\"} 0.001536\n", text,
            StringComparison.Ordinal);
        Assert.Contains("pgproxy_statement_duration_seconds_count{class=\"read\"} 1\n", text,
            StringComparison.Ordinal);
        Assert.Contains("pgproxy_statement_duration_seconds{class=\"write\",quantile=\"0.5\"} NaN\n", text,
            StringComparison.Ordinal);
        Assert.Contains("pgproxy_backend_connections{node=\"0\",state=\"idle\"} 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_GivesTheProcessCost_SoThatTwoScrapesGiveCpuAndBytesPerTransaction()
    {
        var options = new ProxyOptions { Backends = [new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5433 }] };
        var runtime = new ProxyRuntime(options, NullLoggerFactory.Instance, TimeProvider.System);
        await using var _ = runtime.Pool;

        var before = Values(MetricsReport.Build(runtime));
        var garbage = new List<byte[]>();
        for (var i = 0; i < 64; i++)
        {
            garbage.Add(new byte[16 * 1024]);
        }

        var after = Values(MetricsReport.Build(runtime));

        Assert.Equal(64, garbage.Count);
        Assert.True(after["dotnet_gc_allocated_bytes_total"] - before["dotnet_gc_allocated_bytes_total"] >= 64 * 16 * 1024);
        Assert.True(after["process_cpu_seconds_total"] > 0);
        Assert.True(after["process_cpu_seconds_total"] >= before["process_cpu_seconds_total"]);
        Assert.True(after["process_resident_memory_bytes"] > 1024 * 1024);
        Assert.True(after["dotnet_gc_collections_total{generation=\"0\"}"]
            >= after["dotnet_gc_collections_total{generation=\"2\"}"]);
        Assert.True(after.ContainsKey("dotnet_gc_pause_seconds_total"));
    }

    private static Dictionary<string, double> Values(string report) =>
        report.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => double.Parse(parts[1], CultureInfo.InvariantCulture));

    /// <summary>name{label="value",…} number, label values with \\ \" \n escapes only.</summary>
    [GeneratedRegex(
        @"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)" +
        @"(\{[a-zA-Z_][a-zA-Z0-9_]*=""(\\.|[^""\\])*""(,[a-zA-Z_][a-zA-Z0-9_]*=""(\\.|[^""\\])*"")*\})?" +
        @" (NaN|[+-]Inf|-?[0-9.]+(E[+-]?[0-9]+)?)$")]
    private static partial Regex SampleLine();
}
