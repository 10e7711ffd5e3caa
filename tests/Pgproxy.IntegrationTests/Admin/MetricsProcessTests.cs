using System.Globalization;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>
/// The real executable's sockets: with metrics_port = 0 it listens on its SQL port only; with a metrics port, on
/// that one too, which answers GET /metrics. Read from /proc, so nothing else on the machine can mislead.
/// </summary>
[Collection(AdminSuite.Name)]
public sealed class MetricsProcessTests(TwoNodes cluster)
{
    [PostgresFact]
    public async Task MetricsPortZero_ListensOnTheSqlPortOnly()
    {
        await using var pgproxy = new PgproxyProcess(cluster, [new("metrics_port", "0")]);
        (await pgproxy.RunAsync()).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();

        Assert.Equal([pgproxy.Port], ListeningTcpPorts(pgproxy.Pid!.Value));
    }

    [PostgresFact]
    public async Task MetricsPortSet_ListensThereToo_AndServesMetrics()
    {
        var metricsPort = PgproxyCli.FreePort();
        await using var pgproxy = new PgproxyProcess(cluster,
            [new("metrics_port", metricsPort.ToString(CultureInfo.InvariantCulture))]);
        (await pgproxy.RunAsync()).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();
        (await PgTools.PsqlAsync(pgproxy.Port, "-Atc", "SELECT 1")).EnsureSuccess();
        using var http = new HttpClient();

        var text = await http.GetStringAsync(
            $"http://{PostgresInstance.Host}:{metricsPort.ToString(CultureInfo.InvariantCulture)}/metrics");

        Assert.Equal(new[] { pgproxy.Port, metricsPort }.Order(), ListeningTcpPorts(pgproxy.Pid!.Value).Order());
        Assert.Contains("\npgproxy_statement_duration_seconds_count{class=\"read\"} ", text, StringComparison.Ordinal);
        Assert.Matches(@"\npgproxy_sessions_total [1-9][0-9]*\n", text);
    }

    /// <summary>TCP ports a process listens on: its socket inodes found in /proc/net/tcp{,6} as LISTEN.</summary>
    private static List<int> ListeningTcpPorts(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }
        }

        var ports = new HashSet<int>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "0A" && inodes.Contains(fields[9]))
                {
                    ports.Add(int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }

        return [.. ports];
    }
}
