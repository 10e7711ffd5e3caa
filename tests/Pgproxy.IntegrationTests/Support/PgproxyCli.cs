using System.Net;
using System.Net.Sockets;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>Runs the pgproxy executable (<c>dotnet pgproxy.dll</c> from the test output folder).</summary>
internal static class PgproxyCli
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "pgproxy.dll");

    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    public static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(CommandTimeout, arguments);

    public static Task<ProcessResult> RunAsync(TimeSpan timeout, params string[] arguments) =>
        ProcessRunner.RunAsync(DotnetHost, [Dll, .. arguments], timeout);

    /// <summary>
    /// <c>pgproxy -f CONF arguments…</c> against a running pgproxy, with no PG* variable of the test run's own
    /// environment, so each test says what the command gets (-U, or PGUSER in <paramref name="environment"/>).
    /// </summary>
    public static Task<ProcessResult> AgainstAsync(PgproxyProcess pgproxy, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var merged = new Dictionary<string, string?>
        {
            ["PGUSER"] = null, ["PGPASSWORD"] = null, ["PGDATABASE"] = null, ["PGHOST"] = null, ["PGPORT"] = null,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        return ProcessRunner.RunAsync(DotnetHost, [Dll, "-f", pgproxy.ConfigFile, .. arguments], timeout, merged);
    }

    /// <summary>A loopback port nobody listens on right now (pgproxy.conf does not accept port 0).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
