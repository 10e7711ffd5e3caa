using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Tools;

[Collection(ToolsSuite.Name)]
public sealed class PsqlTests(OneNode cluster) : ProxyTestBase(cluster)
{
    private static readonly string[] PgpoolNodeColumns =
    [
        "node_id", "hostname", "port", "status", "pg_status", "lb_weight", "role", "pg_role", "select_cnt",
        "load_balance_node", "replication_delay", "replication_state", "replication_sync_state",
        "last_status_change",
    ];

    [PostgresFact]
    public async Task Psql_SelectConstant_Prints42()
    {
        var result = (await PgTools.PsqlAsync(Proxy.Port, "-Atc", "select 42")).EnsureSuccess();

        Assert.Equal("42\n", result.StdOut);
    }

    [PostgresFact]
    public async Task Psql_CopyInThenOut_RoundTripsTheFile()
    {
        var table = await CreateTableOnNodeAsync("psql_copy", "id int PRIMARY KEY, name text");
        var folder = Directory.CreateTempSubdirectory("pgproxy-psql-copy-");
        try
        {
            var input = Path.Combine(folder.FullName, "in.tsv");
            var output = Path.Combine(folder.FullName, "out.tsv");
            var text = string.Concat(Enumerable.Range(1, 5000).Select(i => $"{i}\tname {i}\n"));
            await File.WriteAllTextAsync(input, text);

            (await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", $"\\copy {table} from '{input}'")).EnsureSuccess();
            Assert.Equal(5000L, await NodeSql.CountAsync(Node, table));

            (await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", $"\\copy (SELECT * FROM {table} ORDER BY id) to '{output}'")).EnsureSuccess();
            Assert.Equal(text, await File.ReadAllTextAsync(output));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [PostgresFact]
    public async Task Psql_ShowPoolNodes_ListsPgpoolColumnsAndNode0Up()
    {
        var result = (await PgTools.PsqlAsync(Proxy.Port, "-A", "-F", "|", "-P", "footer=off", "-c", "SHOW POOL_NODES")).EnsureSuccess();

        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(PgpoolNodeColumns, lines[0].Split('|'));
        var row = lines[1].Split('|');
        Assert.Equal("0", row[0]);
        Assert.Equal(PostgresInstance.Host, row[1]);
        Assert.Equal(PgTools.Invariant(Node.Port), row[2]);
        Assert.Equal("up", row[3]);
        Assert.Equal("up", row[4]);
    }
}
