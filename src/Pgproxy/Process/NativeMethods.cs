using System.Runtime.InteropServices;

namespace Pgproxy.Process;

/// <summary>The one libc call .NET does not wrap: sending an arbitrary signal to another process.</summary>
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

    /// <summary>Sends <paramref name="signal"/>; false when no such process exists.</summary>
    public static bool SendSignal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>True when a process with this pid exists (signal 0 probes without sending anything).</summary>
    public static bool IsAlive(int pid) =>
        pid > 0 && (Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM);
}
