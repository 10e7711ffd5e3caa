using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Starts a fresh in-process pgproxy before each test of a class and stops it afterwards; node 0 of the
/// collection's cluster is reachable directly through <see cref="Node"/>.
/// </summary>
public abstract class ProxyTestBase(PgClusterFixture cluster) : IAsyncLifetime
{
    private ProxyHost? _proxy;

    internal ProxyHost Proxy => _proxy ?? throw new InvalidOperationException("the proxy is not started");

    protected PostgresInstance Node => cluster.Nodes[0];

    /// <summary>Override to change the proxy's settings for every test of the class.</summary>
    protected virtual ProxyOptions Configure(ProxyOptions options) => options;

    public Task InitializeAsync()
    {
        _proxy = ProxyHost.Start(cluster, Configure);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }

    protected Task<NpgsqlConnection> OpenAsync(Action<NpgsqlConnectionStringBuilder>? configure = null) =>
        Proxy.OpenAsync(configure);

    protected async Task<string> CreateTableOnNodeAsync(string prefix, string columns)
    {
        var table = NodeSql.UniqueTable(prefix);
        await NodeSql.ExecuteAsync(Node, $"CREATE TABLE {table} ({columns})");
        return table;
    }
}
