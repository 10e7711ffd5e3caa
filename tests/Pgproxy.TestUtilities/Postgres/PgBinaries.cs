using System.Diagnostics;

namespace Pgproxy.TestUtilities.Postgres;

/// <summary>
/// Finds the PostgreSQL server binaries (initdb, pg_ctl, postgres, psql, pgbench). Order: env <c>PG_BIN</c>,
/// <c>pg_config --bindir</c>, the newest <c>/usr/lib/postgresql/*/bin</c>, then <c>PATH</c>.
/// A missing PostgreSQL is a failure, not a skip, when <c>CI</c> or <c>PGPROXY_REQUIRE_POSTGRES</c> is set.
/// </summary>
public static class PgBinaries
{
    private static readonly Lazy<string?> LazyBinDirectory = new(Locate);

    /// <summary>The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? BinDirectory => LazyBinDirectory.Value;

    /// <summary>True when initdb, pg_ctl, postgres and psql were all found.</summary>
    public static bool IsAvailable =>
        BinDirectory is { } dir && new[] { "initdb", "pg_ctl", "postgres", "psql" }.All(t => File.Exists(Path.Combine(dir, t)));

    /// <summary>True when the environment demands real PostgreSQL (CI or PGPROXY_REQUIRE_POSTGRES set).</summary>
    public static bool IsRequired => IsSet("CI") || IsSet("PGPROXY_REQUIRE_POSTGRES");

    /// <summary>True when this process runs as root; PostgreSQL then runs as the <c>postgres</c> OS user.</summary>
    public static bool IsRunningAsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>
    /// Null when the tests can run. When PostgreSQL is missing: a skip reason, or (under CI /
    /// PGPROXY_REQUIRE_POSTGRES) an <see cref="InvalidOperationException"/>.
    /// </summary>
    public static string? RequireOrSkipReason()
    {
        if (IsAvailable)
        {
            return null;
        }

        var reason = "PostgreSQL server binaries not found (set PG_BIN, install postgresql, or put initdb on PATH)";
        if (IsRequired)
        {
            throw new InvalidOperationException(reason + "; CI or PGPROXY_REQUIRE_POSTGRES is set, so this is a failure.");
        }

        return reason;
    }

    /// <summary>The skip reason for <see cref="PostgresFactAttribute"/>: never throws, and null when required (so the test runs and fails).</summary>
    public static string? SkipReasonOrNull() => IsAvailable || IsRequired ? null : "PostgreSQL server binaries not found";

    /// <summary>The full path of a PostgreSQL tool (psql, pgbench, pg_isready…).</summary>
    public static string Tool(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var dir = BinDirectory ?? throw new InvalidOperationException(RequireOrSkipReason() ?? "PostgreSQL not found");
        var path = Path.Combine(dir, name);
        return File.Exists(path) ? path : FindOnPath(name) ?? path;
    }

    /// <summary>
    /// The command line that runs <paramref name="tool"/> as the PostgreSQL OS user: as is, or through
    /// <c>runuser -u postgres --</c> when we are root (initdb and postgres refuse root).
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) AsPostgresUser(string tool, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var path = Tool(tool);
        if (!IsRunningAsRoot)
        {
            return (path, arguments.ToArray());
        }

        return ("runuser", new[] { "-u", "postgres", "--", path }.Concat(arguments).ToArray());
    }

    private static bool IsSet(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return !string.IsNullOrWhiteSpace(value) && value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("PG_BIN");
        if (!string.IsNullOrEmpty(env) && HasInitdb(env))
        {
            return env;
        }

        if (FindOnPath("pg_config") is { } pgConfig)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(pgConfig, "--bindir")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is not null)
                {
                    var dir = process.StandardOutput.ReadToEnd().Trim();
                    process.WaitForExit(10_000);
                    if (HasInitdb(dir))
                    {
                        return dir;
                    }
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not runnable: fall through.
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)))
                .Where(x => HasInitdb(x.Dir))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return FindOnPath("initdb") is { } initdb ? Path.GetDirectoryName(ResolveLinks(initdb)) : null;
    }

    private static bool HasInitdb(string dir) => !string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, "initdb"));

    private static string ResolveLinks(string path) =>
        new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
