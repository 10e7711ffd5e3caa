using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Postgres;

public sealed class PgClusterFixtureTests(PgClusterFixture cluster) : IClassFixture<PgClusterFixture>
{
    [PostgresFact]
    public void Starts_two_nodes_on_distinct_loopback_ports()
    {
        Assert.Equal(2, cluster.Nodes.Count);
        Assert.All(cluster.Nodes, n => Assert.True(n.IsRunning));
        Assert.NotEqual(cluster.Nodes[0].Port, cluster.Nodes[1].Port);
        Assert.NotEqual(cluster.Nodes[0].DataDirectory, cluster.Nodes[1].DataDirectory);
    }

    [PostgresFact]
    public async Task Select_1_answers_on_every_node_through_psql()
    {
        foreach (var node in cluster.Nodes)
        {
            var result = await ProcessRunner.RunAsync(
                PgBinaries.Tool("psql"),
                ["-X", "-At", "-h", "127.0.0.1", "-p", node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"],
                TimeSpan.FromSeconds(30));
            result.EnsureSuccess();
            Assert.Equal("1", result.StdOut.Trim());
        }
    }

    [PostgresFact]
    public async Task Nodes_are_independent_and_tuned_for_tests()
    {
        await cluster.Nodes[0].QueryAsync("CREATE TABLE IF NOT EXISTS only_on_node0(i int)");
        Assert.Equal("1", await cluster.Nodes[0].QueryAsync("SELECT count(*) FROM pg_class WHERE relname = 'only_on_node0'"));
        Assert.Equal("0", await cluster.Nodes[1].QueryAsync("SELECT count(*) FROM pg_class WHERE relname = 'only_on_node0'"));
        Assert.Equal("off", await cluster.Nodes[1].QueryAsync("SHOW fsync"));
    }

    [PostgresFact]
    public void WritePgproxyConfig_names_every_node()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pgproxy-conf-" + Guid.NewGuid().ToString("N"));
        try
        {
            var text = File.ReadAllText(cluster.WritePgproxyConfig(dir, 9999));
            Assert.Contains($"backend_port0 = {cluster.Nodes[0].Port}", text, StringComparison.Ordinal);
            Assert.Contains($"backend_port1 = {cluster.Nodes[1].Port}", text, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, "pool_hba.conf")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
