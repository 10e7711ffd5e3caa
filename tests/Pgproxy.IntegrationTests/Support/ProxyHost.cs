using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>An in-process pgproxy on a free loopback port in front of every node of a cluster.</summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    private ProxyHost(ProxyServer server)
    {
        Server = server;
    }

    public ProxyServer Server { get; }

    public int Port => Server.Port;

    public static ProxyHost Start(PgClusterFixture cluster, Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var temp = Path.GetTempPath();
        var options = new ProxyOptions
        {
            ListenAddresses = PostgresInstance.Host,
            Port = 0,
            UnixSocketDirectories = "",
            Backends = [.. cluster.Nodes.Select((node, i) => new BackendConfig
            {
                NodeId = i,
                Hostname = PostgresInstance.Host,
                Port = node.Port,
                DataDirectory = node.DataDirectory,
            })],
            PoolPasswd = "",
            PidFileName = Path.Combine(temp, "pgproxy-itest-unused.pid"),
            Logdir = temp,
            WorkDir = temp,
        };
        options = configure?.Invoke(options) ?? options;
        var server = new ProxyServer(options, NullLoggerFactory.Instance);
        server.Start();
        return new ProxyHost(server);
    }

    public string ConnectionString(Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = PostgresInstance.Host,
            Port = Port,
            Username = PostgresInstance.User,
            Database = "postgres",
            Pooling = false,
            Timeout = 15,
            CommandTimeout = 60,
        };
        configure?.Invoke(builder);
        return builder.ConnectionString;
    }

    public async Task<NpgsqlConnection> OpenAsync(Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var conn = new NpgsqlConnection(ConnectionString(configure));
        try
        {
            await conn.OpenAsync();
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }

        return conn;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Server.StopAsync(ShutdownMode.Fast);
    }
}
