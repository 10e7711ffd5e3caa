using System.Diagnostics;
using System.Globalization;

namespace Pgproxy.Process;

/// <summary>
/// Without <c>-n</c>, pgproxy detaches like pgpool: it starts itself again in a new session with stdin closed
/// and stdout/stderr appended to <c>logdir/pgproxy.log</c>, waits until that child has written the pid file
/// (listeners bound) and exits 0; if the child dies first, it shows the end of the log and exits 1.
/// </summary>
internal static class Daemonizer
{
    public static int Launch(IReadOnlyList<string> args, string logdir, string pidFile, TextWriter error)
    {
        Directory.CreateDirectory(logdir);
        var logPath = Path.Combine(logdir, "pgproxy.log");
        var (program, programArgs) = SelfInvocation();

        // sh does the redirections and the backgrounding; setsid gives the child its own session so that it
        // survives the terminal. `echo $!` reports the child's pid back to us.
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(
            "if command -v setsid >/dev/null 2>&1; then S=setsid; else S=; fi; " +
            "$S \"$@\" >>\"$PGPROXY_LOG\" 2>&1 </dev/null & echo $!");
        start.ArgumentList.Add("pgproxy");
        start.ArgumentList.Add(program);
        foreach (var arg in programArgs.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--detached-child");
        start.Environment["PGPROXY_LOG"] = logPath;
        using var shell = System.Diagnostics.Process.Start(start)
            ?? throw new InvalidOperationException("could not start /bin/sh");
        var pidText = shell.StandardOutput.ReadLine();
        shell.WaitForExit();
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var childPid))
        {
            error.WriteLine("pgproxy: ERROR: could not start the detached pgproxy process");
            return 1;
        }

        var deadline = Environment.TickCount64 + 30_000;
        while (Environment.TickCount64 < deadline)
        {
            if (PidFile.TryRead(pidFile) == childPid)
            {
                return 0;
            }

            if (!NativeMethods.IsAlive(childPid))
            {
                break;
            }

            Thread.Sleep(50);
        }

        error.WriteLine($"pgproxy: ERROR: pgproxy did not start; the end of {logPath}:");
        foreach (var line in TailOf(logPath, 20))
        {
            error.WriteLine("  " + line);
        }

        return 1;
    }

    /// <summary>How to run this same program again: the apphost directly, or <c>dotnet pgproxy.dll</c>.</summary>
    private static (string Program, IReadOnlyList<string> Args) SelfInvocation()
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        var isDotnetHost = Path.GetFileNameWithoutExtension(processPath) == "dotnet";
        return isDotnetHost
            ? (processPath, [typeof(Daemonizer).Assembly.Location])
            : (processPath, []);
    }

    private static List<string> TailOf(string path, int lines)
    {
        try
        {
            return File.ReadLines(path).TakeLast(lines).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }
}
