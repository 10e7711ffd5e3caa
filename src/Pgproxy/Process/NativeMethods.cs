using System.Runtime.InteropServices;

namespace Pgproxy.Process;

/// <summary>
/// The libc calls .NET does not wrap: sending an arbitrary signal to another process, and taking back a signal a
/// parent left ignored.
/// </summary>
internal static partial class NativeMethods
{
    public const int SigHup = 1;
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigTerm = 15;

    private const int EPERM = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "signal")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial nint Signal(int signal, nint handler);

    /// <summary>
    /// Sets <paramref name="signal"/> back to its default action when the parent left it ignored (<c>nohup</c>
    /// ignores SIGHUP): .NET then installs no handler for it, and <c>pgproxy reload</c> would do nothing.
    /// </summary>
    public static void StopIgnoring(int signal)
    {
        const nint ignore = 1;
        if (Signal(signal, 0) is var previous && previous != ignore)
        {
            Signal(signal, previous); // it was not ignored: put back what was there
        }
    }

    /// <summary>Sends <paramref name="signal"/>; false when no such process exists.</summary>
    public static bool SendSignal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>
    /// True when a process with this pid exists (signal 0 probes without sending anything) and has not exited: a
    /// pgproxy killed with -9 stays a zombie until its parent reaps it, which a container's first process may never
    /// do, and its pid file must not keep the next pgproxy from starting, nor a stop waiting for it.
    /// </summary>
    public static bool IsAlive(int pid) =>
        pid > 0 && (Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM) && !IsZombie(pid);

    /// <summary>The process has exited and waits to be reaped: state Z in /proc/pid/stat.</summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat.LastIndexOf(')') + 2;
            return state > 1 && state < stat.Length && stat[state] == 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone meanwhile, or not ours to read: kill's answer stands
        }
    }
}
