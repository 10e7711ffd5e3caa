using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.TestUtilities.Postgres;

/// <summary>
/// One throw-away PostgreSQL server: initdb into a fresh folder under /tmp (owned by the <c>postgres</c> OS user
/// when we run as root), trust authentication for user <c>postgres</c>, a free loopback port, fsync off.
/// Disposing stops it and deletes the folder.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    public const string Host = "127.0.0.1";
    public const string User = "postgres";

    private static readonly TimeSpan PgCtlTimeout = TimeSpan.FromSeconds(90);
    private bool disposed;

    private PostgresInstance(PostgresInstanceOptions options, string rootDirectory)
    {
        Options = options;
        RootDirectory = rootDirectory;
    }

    public PostgresInstanceOptions Options { get; }

    public string Name => Options.Name;

    /// <summary>The temp folder holding data/, sock/ and postgres.log.</summary>
    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public string SocketDirectory => Path.Combine(RootDirectory, "sock");

    public string LogFile => Path.Combine(RootDirectory, "postgres.log");

    /// <summary>The TCP port on 127.0.0.1; 0 before the first start.</summary>
    public int Port { get; private set; }

    public bool IsRunning { get; private set; }

    /// <summary>An Npgsql connection string for database <c>postgres</c> (pooling off).</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) =>
        $"Host={Host};Port={Port.ToString(CultureInfo.InvariantCulture)};Username={User};Database={database};Pooling=false;Timeout=15";

    /// <summary>initdb a new instance and start it on a free port.</summary>
    public static async Task<PostgresInstance> StartNewAsync(PostgresInstanceOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PostgresInstanceOptions();
        if (PgBinaries.RequireOrSkipReason() is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        // Under /tmp itself (not $TMPDIR): short socket paths, and a place the postgres OS user can reach.
        var tempBase = OperatingSystem.IsWindows() ? Path.GetTempPath() : "/tmp";
        var root = Path.Combine(tempBase, $"pgproxy-{Sanitize(options.Name)}-{Guid.NewGuid().ToString("N")[..10]}");
        Directory.CreateDirectory(root);

        var instance = new PostgresInstance(options, root);
        try
        {
            await instance.InitDbAsync(cancellationToken);
            await instance.StartAsync(cancellationToken);
            foreach (var database in options.Databases)
            {
                (await instance.RunPsqlAsync($"CREATE DATABASE \"{database}\"", cancellationToken: cancellationToken)).EnsureSuccess();
            }

            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0 and read it back).</summary>
    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Start (again). The first start picks a free port; a lost race for it is retried on another one.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (IsRunning)
        {
            return;
        }

        var firstStart = Port == 0;
        for (var attempt = 1; ; attempt++)
        {
            if (firstStart)
            {
                Port = GetFreePort();
            }

            var result = await PgCtlAsync(
                ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {Port.ToString(CultureInfo.InvariantCulture)}", "start"],
                cancellationToken);
            if (result.Succeeded)
            {
                IsRunning = true;
                return;
            }

            if (!firstStart || attempt >= 3)
            {
                throw new InvalidOperationException($"PostgreSQL '{Name}' did not start on port {Port}.\n{result.StdErr}\n--- {LogFile} ---\n{ReadLogTail()}");
            }
        }
    }

    /// <summary>Stop with pg_ctl: mode "smart", "fast" (default) or "immediate".</summary>
    public async Task StopAsync(string mode = "fast", CancellationToken cancellationToken = default)
    {
        if (!IsRunning)
        {
            return;
        }

        var result = await PgCtlAsync(["-D", DataDirectory, "-m", mode, "-w", "-t", "60", "stop"], cancellationToken);
        IsRunning = false;
        result.EnsureSuccess();
    }

    /// <summary>Run one SQL string through psql (-X -At, ON_ERROR_STOP) against this instance, or any port on 127.0.0.1 (e.g. the proxy).</summary>
    public Task<ProcessResult> RunPsqlAsync(string sql, int? port = null, string database = "postgres", CancellationToken cancellationToken = default) =>
        RunPsqlAsync(sql, port ?? Port, database, TimeSpan.FromSeconds(60), cancellationToken);

    /// <inheritdoc cref="RunPsqlAsync(string, int?, string, CancellationToken)"/>
    public ProcessResult RunPsql(string sql, int? port = null, string database = "postgres") =>
        RunPsqlAsync(sql, port, database).GetAwaiter().GetResult();

    /// <summary>Run a query and return its trimmed output (-At: unaligned, tuples only); throws on error.</summary>
    public async Task<string> QueryAsync(string sql, string database = "postgres", CancellationToken cancellationToken = default) =>
        (await RunPsqlAsync(sql, database: database, cancellationToken: cancellationToken)).EnsureSuccess().StdOut.Trim();

    /// <summary>psql against any 127.0.0.1 port as user postgres.</summary>
    public static Task<ProcessResult> RunPsqlAsync(string sql, int port, string database, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return ProcessRunner.RunAsync(
            PgBinaries.Tool("psql"),
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", Host, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", User, "-d", database, "-c", sql],
            timeout,
            new Dictionary<string, string?> { ["PGCONNECT_TIMEOUT"] = "10", ["PGPASSWORD"] = null, ["PGSERVICE"] = null, ["PGOPTIONS"] = null },
            cancellationToken: cancellationToken);
    }

    public override string ToString() => $"{Name} ({Host}:{Port}, {DataDirectory})";

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (IsRunning)
        {
            // The folder is deleted next, so there is nothing to shut down cleanly.
            await PgCtlAsync(["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], CancellationToken.None);
            IsRunning = false;
        }

        try
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temp folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task InitDbAsync(CancellationToken cancellationToken)
    {
        if (PgBinaries.IsRunningAsRoot)
        {
            (await ProcessRunner.RunAsync("chown", ["postgres:postgres", RootDirectory], cancellationToken: cancellationToken)).EnsureSuccess();
        }

        await RunAsPostgresAsync("initdb", ["-D", DataDirectory, "-A", "trust", "-U", User, "--no-sync", "-E", "UTF8", "--locale=C"], cancellationToken);
        await RunAsPostgresAsync("mkdir", [SocketDirectory], cancellationToken, tool: false);

        var conf = new StringBuilder()
            .AppendLine()
            .AppendLine("# --- Pgproxy.TestUtilities.PostgresInstance ---")
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = '{SocketDirectory}'")
            .AppendLine(CultureInfo.InvariantCulture, $"max_connections = {Options.MaxConnections}")
            .AppendLine(CultureInfo.InvariantCulture, $"max_prepared_transactions = {Options.MaxConnections}")
            .AppendLine(CultureInfo.InvariantCulture, $"shared_buffers = {Options.SharedBuffers}")
            .AppendLine("fsync = off")
            .AppendLine("synchronous_commit = off")
            .AppendLine("full_page_writes = off")
            .AppendLine("log_min_messages = warning")
            // Online recovery copies and catches a node up by logical replication (a publication on main).
            .AppendLine("wal_level = logical")
            .AppendLine("max_replication_slots = 10")
            .AppendLine("max_wal_senders = 10")
            .AppendLine("max_logical_replication_workers = 8")
            .AppendLine("max_worker_processes = 16");
        if (Options.SslCertificate is { } ssl)
        {
            await WriteSslFilesAsync(ssl, cancellationToken);
            conf.AppendLine("ssl = on")
                .AppendLine("ssl_cert_file = 'server.crt'")
                .AppendLine("ssl_key_file = 'server.key'");
        }

        foreach (var (key, value) in Options.Settings)
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"{key} = {value}");
        }

        // Root may write into the postgres-owned files; ownership and mode stay as initdb left them.
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), conf.ToString(), cancellationToken);
        if (Options.HbaLines.Count > 0)
        {
            var hba = Path.Combine(DataDirectory, "pg_hba.conf");
            var records = string.Join('\n', ["# --- Pgproxy.TestUtilities.PostgresInstance ---", .. Options.HbaLines]);
            await File.WriteAllTextAsync(hba, records + "\n" + await File.ReadAllTextAsync(hba, cancellationToken),
                cancellationToken);
        }
    }

    /// <summary>PostgreSQL refuses a key file others can read, or one the server's OS user does not own.</summary>
    private async Task WriteSslFilesAsync(IssuedCertificate ssl, CancellationToken cancellationToken)
    {
        var certFile = Path.Combine(DataDirectory, "server.crt");
        var keyFile = Path.Combine(DataDirectory, "server.key");
        await File.WriteAllTextAsync(certFile, ssl.CertificatePem, cancellationToken);
        await File.WriteAllTextAsync(keyFile, ssl.KeyPem, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        if (PgBinaries.IsRunningAsRoot)
        {
            (await ProcessRunner.RunAsync("chown", ["postgres:postgres", certFile, keyFile],
                cancellationToken: cancellationToken)).EnsureSuccess();
        }
    }

    private Task<ProcessResult> PgCtlAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var (file, args) = PgBinaries.AsPostgresUser("pg_ctl", arguments);
        return ProcessRunner.RunAsync(file, args, PgCtlTimeout, workingDirectory: RootDirectory, cancellationToken: cancellationToken);
    }

    private async Task RunAsPostgresAsync(string command, string[] arguments, CancellationToken cancellationToken, bool tool = true)
    {
        string file;
        IReadOnlyList<string> args;
        if (tool)
        {
            (file, args) = PgBinaries.AsPostgresUser(command, arguments);
        }
        else if (PgBinaries.IsRunningAsRoot)
        {
            (file, args) = ("runuser", ["-u", "postgres", "--", command, .. arguments]);
        }
        else
        {
            (file, args) = (command, arguments);
        }

        (await ProcessRunner.RunAsync(file, args, PgCtlTimeout, workingDirectory: RootDirectory, cancellationToken: cancellationToken)).EnsureSuccess();
    }

    private string ReadLogTail()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
        }
        catch (IOException e)
        {
            return e.Message;
        }
        catch (UnauthorizedAccessException e)
        {
            return e.Message;
        }
    }

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').Take(20).ToArray());
}
