using Npgsql;
using Pgproxy.TestUtilities.Postgres;
using PidFile = Pgproxy.Process.PidFile;
using NativeMethods = Pgproxy.Process.NativeMethods;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// A temp folder holding pgproxy.conf and pool_hba.conf for a cluster, plus helpers to start and stop the real
/// executable on it. Disposing kills whatever pgproxy this instance started and deletes the folder.
/// </summary>
internal sealed class PgproxyProcess : IAsyncDisposable
{
    private readonly PgClusterFixture _cluster;
    private readonly List<int> _started = [];

    public PgproxyProcess(PgClusterFixture cluster, IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        _cluster = cluster;
        Folder = Directory.CreateTempSubdirectory("pgproxy-cli-").FullName;
        Port = PgproxyCli.FreePort();
        WriteConfig(settings);
    }

    public string Folder { get; }

    public int Port { get; }

    public string ConfigFile => Path.Combine(Folder, "pgproxy.conf");

    public string PidFilePath => Path.Combine(Folder, "pgproxy.pid");

    public string LogFile => Path.Combine(Folder, "pgproxy.log");

    public int? Pid => PidFile.TryRead(PidFilePath);

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = PostgresInstance.Host,
        Port = Port,
        Username = PostgresInstance.User,
        Database = "postgres",
        Pooling = false,
        Timeout = 5,
    }.ConnectionString;

    public static bool IsAlive(int pid) => NativeMethods.IsAlive(pid) && !IsZombie(pid);

    /// <summary>Rewrites pgproxy.conf with the fixture's settings plus <paramref name="settings"/> (port stays unless given).</summary>
    public void WriteConfig(IEnumerable<KeyValuePair<string, string>>? settings = null, int? port = null) =>
        _cluster.WritePgproxyConfig(Folder, port ?? Port, settings);

    /// <summary><c>pgproxy -f conf [extra]</c>; remembers the pid the pid file then names, to clean up.</summary>
    public async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        var result = await PgproxyCli.RunAsync(["-f", ConfigFile, .. arguments]);
        Remember();
        return result;
    }

    /// <summary>
    /// Starts <c>pgproxy -n</c> (plus <paramref name="extra"/>, e.g. <c>-D</c>) in the background; the task ends when
    /// that process exits.
    /// </summary>
    public Task<ProcessResult> StartForeground(params string[] extra) =>
        PgproxyCli.RunAsync(TimeSpan.FromSeconds(90), ["-f", ConfigFile, "-n", .. extra]);

    public async Task WaitUntilAcceptingAsync()
    {
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    await using var conn = new NpgsqlConnection(ConnectionString);
                    await conn.OpenAsync();
                    return true;
                }
                catch (NpgsqlException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            $"pgproxy to accept connections on port {Port}");
        Remember();
    }

    public Task<string> ReadLogAsync() =>
        File.Exists(LogFile) ? File.ReadAllTextAsync(LogFile) : Task.FromResult("");

    public async ValueTask DisposeAsync()
    {
        Remember();
        foreach (var pid in _started.Where(IsAlive))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OperationCanceledException)
            {
                // Gone meanwhile.
            }
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Remember()
    {
        if (Pid is { } pid && !_started.Contains(pid))
        {
            _started.Add(pid);
        }
    }

    /// <summary>An exited orphan nobody reaped yet still answers kill(pid, 0); it is gone all the same.</summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
