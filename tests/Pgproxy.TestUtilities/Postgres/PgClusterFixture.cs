using System.Globalization;
using System.Text;
using Xunit;

namespace Pgproxy.TestUtilities.Postgres;

/// <summary>
/// An xunit fixture that starts <see cref="NodeCount"/> independent PostgreSQL instances (default 2), optionally
/// plus a system DB instance holding database <c>pgproxy</c>, and stops and deletes them all afterwards.
/// Use it as <c>IClassFixture&lt;PgClusterFixture&gt;</c> or a collection fixture; for another node count derive
/// from it: <c>public sealed class ThreeNodes() : PgClusterFixture(3);</c>.
/// When PostgreSQL is missing, <see cref="InitializeAsync"/> throws under CI / PGPROXY_REQUIRE_POSTGRES and
/// otherwise leaves <see cref="Nodes"/> empty and sets <see cref="SkipReason"/> (tests use <see cref="PostgresFactAttribute"/>).
/// </summary>
public class PgClusterFixture : IAsyncLifetime
{
    private readonly List<PostgresInstance> nodes = [];

    public PgClusterFixture()
        : this(2)
    {
    }

    protected PgClusterFixture(int nodeCount, bool withSystemDb = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        NodeCount = nodeCount;
        WithSystemDb = withSystemDb;
    }

    public int NodeCount { get; }

    public bool WithSystemDb { get; }

    /// <summary>The backend nodes, index = pgproxy backend number.</summary>
    public IReadOnlyList<PostgresInstance> Nodes => nodes;

    /// <summary>The system DB instance (database <c>pgproxy</c>) when <see cref="WithSystemDb"/>, else null.</summary>
    public PostgresInstance? SystemDb { get; private set; }

    /// <summary>Why the cluster was not started (PostgreSQL missing and not required), else null.</summary>
    public string? SkipReason { get; private set; }

    public virtual async Task InitializeAsync()
    {
        SkipReason = PgBinaries.RequireOrSkipReason();
        if (SkipReason is not null)
        {
            return;
        }

        var starts = Enumerable.Range(0, NodeCount)
            .Select(i => PostgresInstance.StartNewAsync(CreateNodeOptions(i)))
            .ToList();
        var systemDbStart = WithSystemDb
            ? PostgresInstance.StartNewAsync(new PostgresInstanceOptions { Name = "sysdb", Databases = ["pgproxy"] })
            : null;
        try
        {
            await Task.WhenAll(systemDbStart is null ? starts : [.. starts, systemDbStart]);
        }
        finally
        {
            // Keep whatever started so DisposeAsync cleans it up even when another start failed.
            nodes.AddRange(starts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            if (systemDbStart is { IsCompletedSuccessfully: true })
            {
                SystemDb = systemDbStart.Result;
            }
        }
    }

    public virtual async Task DisposeAsync()
    {
        var all = nodes.Concat(SystemDb is null ? [] : [SystemDb]).ToList();
        await Task.WhenAll(all.Select(n => n.DisposeAsync().AsTask()));
        nodes.Clear();
        SystemDb = null;
    }

    /// <summary>
    /// Write <c>pgproxy.conf</c> and <c>pool_hba.conf</c> (trust on local and 127.0.0.1/32) for these nodes into
    /// <paramref name="directory"/>; returns the path of pgproxy.conf. <paramref name="extraSettings"/> values are
    /// written as given (quote strings yourself).
    /// </summary>
    public string WritePgproxyConfig(string directory, int proxyPort, IEnumerable<KeyValuePair<string, string>>? extraSettings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var conf = new StringBuilder()
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {proxyPort}")
            .AppendLine("unix_socket_directories = ''")
            .AppendLine("num_init_children = 32")
            .AppendLine("max_pool = 4")
            .AppendLine("enable_pool_hba = on")
            .AppendLine("health_check_user = 'postgres'");
        for (var i = 0; i < nodes.Count; i++)
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"backend_hostname{i} = '{PostgresInstance.Host}'")
                .AppendLine(CultureInfo.InvariantCulture, $"backend_port{i} = {nodes[i].Port}")
                .AppendLine(CultureInfo.InvariantCulture, $"backend_weight{i} = 1")
                .AppendLine(CultureInfo.InvariantCulture, $"backend_data_directory{i} = '{nodes[i].DataDirectory}'");
        }

        if (SystemDb is not null)
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"system_db_hostname = '{PostgresInstance.Host}'")
                .AppendLine(CultureInfo.InvariantCulture, $"system_db_port = {SystemDb.Port}")
                .AppendLine("system_db_dbname = 'pgproxy'")
                .AppendLine("system_db_user = 'postgres'");
        }

        conf.AppendLine("pid_file_name = 'pgproxy.pid'")
            .AppendLine("logdir = '.'")
            .AppendLine("work_dir = '.'");
        foreach (var (key, value) in extraSettings ?? [])
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"{key} = {value}");
        }

        var path = Path.Combine(directory, "pgproxy.conf");
        File.WriteAllText(path, conf.ToString());
        File.WriteAllText(
            Path.Combine(directory, "pool_hba.conf"),
            "local   all   all                  trust\nhost    all   all   127.0.0.1/32   trust\n");
        return path;
    }

    /// <summary>Options for node <paramref name="index"/>; override to change settings per node.</summary>
    protected virtual PostgresInstanceOptions CreateNodeOptions(int index) =>
        new() { Name = "node" + index.ToString(CultureInfo.InvariantCulture) };
}
