using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// An in-process pgproxy on a free loopback port in front of every node of a cluster, with a work_dir of its own
/// (so no two hosts share a status file) and the cluster's system DB when it has one.
/// </summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    private readonly string _ownWorkDir;

    private ProxyHost(ProxyServer server, string ownWorkDir)
    {
        Server = server;
        _ownWorkDir = ownWorkDir;
    }

    public ProxyServer Server { get; }

    public int Port => Server.Port;

    public ProxyRuntime Runtime => Server.Runtime;

    /// <summary>
    /// Starts pgproxy; <paramref name="configure"/> may change any option (a test that restarts pgproxy on the same
    /// status file passes its own <c>WorkDir</c>); <paramref name="discardStatus"/> is -D; logs go nowhere unless
    /// <paramref name="loggerFactory"/> is given.
    /// </summary>
    public static ProxyHost Start(PgClusterFixture cluster, Func<ProxyOptions, ProxyOptions>? configure = null,
        bool discardStatus = false, ILoggerFactory? loggerFactory = null)
    {
        var temp = Path.GetTempPath();
        var workDir = Directory.CreateTempSubdirectory("pgproxy-host-").FullName;
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
            HealthCheckUser = PostgresInstance.User, // also what resolves prepared transactions (a superuser)
            PidFileName = Path.Combine(temp, "pgproxy-itest-unused.pid"),
            Logdir = temp,
            WorkDir = workDir,
        };
        if (cluster.SystemDb is { } systemDb)
        {
            options = options with
            {
                SystemDbHostname = PostgresInstance.Host,
                SystemDbPort = systemDb.Port,
                SystemDbDbname = "pgproxy",
                SystemDbUser = PostgresInstance.User,
            };
        }

        options = configure?.Invoke(options) ?? options;
        var server = new ProxyServer(options, loggerFactory ?? NullLoggerFactory.Instance);
        try
        {
            server.Start(discardStatus);
        }
        catch
        {
            Directory.Delete(workDir, recursive: true);
            throw;
        }

        return new ProxyHost(server, workDir);
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
        try
        {
            Directory.Delete(_ownWorkDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
