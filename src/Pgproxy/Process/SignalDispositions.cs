using System.Globalization;
using System.Runtime.InteropServices;

namespace Pgproxy.Process;

/// <summary>
/// Makes sure SIGINT and SIGQUIT can reach pgproxy. A program started in the background by a shell script
/// (<c>pgproxy -n &amp;</c>), or under nohup, inherits those signals as ignored, and the .NET runtime then never
/// delivers them, so <c>pgproxy -m fast stop</c> and <c>-m immediate stop</c> would do nothing. The only cure
/// is to reset them and start the program image again, before the runtime looks: one execv at startup.
/// </summary>
internal static partial class SignalDispositions
{
    private const string ResetMarker = "PGPROXY_SIGNALS_RESET";
    private const long IgnoredMask = (1L << (NativeMethods.SigInt - 1)) | (1L << (NativeMethods.SigQuit - 1));

    public static void EnsureDeliverable(string[] args)
    {
        if (Environment.GetEnvironmentVariable(ResetMarker) is not null || (IgnoredSignals() & IgnoredMask) == 0)
        {
            return;
        }

        Environment.SetEnvironmentVariable(ResetMarker, "1");
        Signal(NativeMethods.SigInt, IntPtr.Zero);
        Signal(NativeMethods.SigQuit, IntPtr.Zero);

        var processPath = Environment.ProcessPath;
        if (processPath is null)
        {
            return;
        }

        var argv = new List<string?> { processPath };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            argv.Add(typeof(SignalDispositions).Assembly.Location);
        }

        argv.AddRange(args);
        argv.Add(null);
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}")
            .Append(null)
            .ToArray();

        // Only returns on failure; then pgproxy carries on as it is (fast/immediate stop stay unavailable).
        _ = Execve(processPath, [.. argv], environment);
    }

    /// <summary>The SigIgn mask from /proc/self/status (bit n-1 set when signal n is ignored).</summary>
    private static long IgnoredSignals()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // Not Linux, or no /proc: nothing to check.
        }

        return 0;
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial IntPtr Signal(int signal, IntPtr handler);

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
