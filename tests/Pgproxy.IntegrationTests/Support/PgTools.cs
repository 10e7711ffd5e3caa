using System.Globalization;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>Runs psql and pgbench against a port on 127.0.0.1 as user postgres, with a clean libpq environment.</summary>
internal static class PgTools
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["PGCONNECT_TIMEOUT"] = "10",
        ["PGPASSWORD"] = null,
        ["PGSERVICE"] = null,
        ["PGOPTIONS"] = null,
        ["PGDATABASE"] = null,
        ["PGUSER"] = null,
        ["PGHOST"] = null,
        ["PGPORT"] = null,
    };

    private static Dictionary<string, string?> WithPassword(string password) =>
        new(Environment) { ["PGPASSWORD"] = password };

    public static Task<ProcessResult> PsqlAsync(int port, params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("psql"),
            ["-X", "-h", PostgresInstance.Host, "-p", Invariant(port), "-U", PostgresInstance.User, "-d", "postgres", .. arguments],
            TimeSpan.FromSeconds(60),
            Environment);

    /// <summary>psql with <paramref name="input"/> on its standard input (the data of a COPY FROM STDIN).</summary>
    public static Task<ProcessResult> PsqlWithInputAsync(int port, string input, params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("psql"),
            ["-X", "-h", PostgresInstance.Host, "-p", Invariant(port), "-U", PostgresInstance.User, "-d", "postgres", .. arguments],
            TimeSpan.FromSeconds(30),
            Environment,
            standardInput: input);

    /// <summary>
    /// psql as <paramref name="user"/> with extra libpq settings (<c>PGSSLMODE</c>, <c>PGSSLCERT</c>…) on top of the
    /// clean environment.
    /// </summary>
    public static Task<ProcessResult> PsqlAsync(int port, string user, IReadOnlyDictionary<string, string?> settings,
        params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("psql"),
            ["-X", "-h", PostgresInstance.Host, "-p", Invariant(port), "-U", user, "-d", "postgres", .. arguments],
            TimeSpan.FromSeconds(60),
            With(settings));

    /// <summary>pg_basebackup through a physical replication connection, into <paramref name="directory"/>.</summary>
    public static Task<ProcessResult> BaseBackupAsync(int port, string directory) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("pg_basebackup"),
            ["-h", PostgresInstance.Host, "-p", Invariant(port), "-U", PostgresInstance.User, "-D", directory, "-Ft",
             "-X", "none", "-c", "fast", "--no-sync", "--no-manifest"],
            TimeSpan.FromSeconds(120),
            Environment);

    /// <summary>pgbench with extra libpq settings on top of the clean environment.</summary>
    public static Task<ProcessResult> PgbenchAsync(int port, IReadOnlyDictionary<string, string?> settings,
        params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("pgbench"),
            ["-h", PostgresInstance.Host, "-p", Invariant(port), "-U", PostgresInstance.User, .. arguments, "postgres"],
            TimeSpan.FromSeconds(120),
            With(settings));

    public static Task<ProcessResult> PgbenchAsync(int port, params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("pgbench"),
            ["-h", PostgresInstance.Host, "-p", Invariant(port), "-U", PostgresInstance.User, .. arguments, "postgres"],
            TimeSpan.FromSeconds(120),
            Environment);

    private static Dictionary<string, string?> With(IReadOnlyDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        return environment;
    }
    /// <summary>psql as <paramref name="user"/> with <paramref name="password"/> in PGPASSWORD.</summary>
    public static Task<ProcessResult> PsqlAsAsync(int port, string user, string password, string database,
        params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("psql"),
            ["-X", "-h", PostgresInstance.Host, "-p", Invariant(port), "-U", user, "-d", database, .. arguments],
            TimeSpan.FromSeconds(60),
            WithPassword(password));

    /// <summary>pgbench as <paramref name="user"/> with <paramref name="password"/> in PGPASSWORD.</summary>
    public static Task<ProcessResult> PgbenchAsAsync(int port, string user, string password, string database,
        params string[] arguments) =>
        ProcessRunner.RunAsync(
            PgBinaries.Tool("pgbench"),
            ["-h", PostgresInstance.Host, "-p", Invariant(port), "-U", user, .. arguments, database],
            TimeSpan.FromSeconds(120),
            WithPassword(password));

    public static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
