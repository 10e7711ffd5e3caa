using System.Diagnostics;
using System.Text;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// PostgreSQL's own pg_dump, pg_dumpall and psql, run by the recovery for the schema. They are looked for in PATH,
/// then in /usr/lib/postgresql/&lt;major&gt;/bin (newest first): Debian's PATH holds pg_wrapper, which picks a
/// version by the local clusters it knows, so the versioned folder is preferred when the PATH entry is the wrapper.
/// pg_dump must be at least as new as main, which the newest installed version most likely is.
/// </summary>
internal sealed class PostgresTools(RecoveryConnector connector)
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The full path of <paramref name="tool"/>, or null when it is nowhere to be found.</summary>
    public static string? Find(string tool)
    {
        string? fromPath = null;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator,
                     StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate))
            {
                fromPath = candidate;
                break;
            }
        }

        if (fromPath is not null && !IsPgWrapper(fromPath))
        {
            return fromPath;
        }

        const string versions = "/usr/lib/postgresql";
        if (Directory.Exists(versions))
        {
            var newest = Directory.GetDirectories(versions)
                .Select(d => (Dir: d, Major: int.TryParse(Path.GetFileName(d), out var m) ? m : -1))
                .Where(v => v.Major > 0 && File.Exists(Path.Combine(v.Dir, "bin", tool)))
                .OrderByDescending(v => v.Major)
                .Select(v => Path.Combine(v.Dir, "bin", tool))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return fromPath;
    }

    private static bool IsPgWrapper(string path)
    {
        try
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            return target is not null && target.Name == "pg_wrapper";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="tool"/> against <paramref name="node"/>; its stdout, or a failure naming both.</summary>
    public async Task<string> RunAsync(string tool, BackendNode node, string database, IReadOnlyList<string> arguments,
        string? stdin, CancellationToken ct)
    {
        var path = Find(tool)
                   ?? throw new RecoveryFailure($"{tool} not found in PATH nor in /usr/lib/postgresql/*/bin: install " +
                                                "the PostgreSQL client tools where pgproxy runs");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in (string[])["-h", node.Config.Hostname, "-p", node.Config.Port.ToString(
                     System.Globalization.CultureInfo.InvariantCulture), "-U", connector.User])
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add(tool == "pg_dumpall" ? "-l" : "-d");
        start.ArgumentList.Add(database);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGAPPNAME"] = connector.ApplicationName;
        start.Environment["PGCONNECT_TIMEOUT"] = "10";
        start.Environment.Remove("PGSERVICE");
        if (connector.Password is { } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        using var process = Process.Start(start)
                            ?? throw new RecoveryFailure($"{tool} could not be started ({path})");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ToolTimeout);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), timeout.Token);
                process.StandardInput.Close();
            }

            await process.WaitForExitAsync(timeout.Token);
            var stdout = await output;
            var stderr = await errors;
            if (process.ExitCode != 0)
            {
                throw new RecoveryFailure($"{tool} on node {node.NodeId} ({node.Endpoint}), database \"{database}\", " +
                                          $"exited with {process.ExitCode}: {FirstLines(stderr)}");
            }

            return stdout;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new RecoveryFailure($"{tool} on node {node.NodeId}, database \"{database}\", did not end " +
                                      $"within {ToolTimeout.TotalMinutes:0} minutes");
        }
    }

    private static string FirstLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no message)" : string.Join(" / ", lines.Take(5));
    }
}
