using Pgproxy.Core.Hosting;

namespace Pgproxy.Process;

/// <summary>
/// <c>pgproxy -m MODE stop</c> and <c>pgproxy reload</c>: signal the running pgproxy named by the pid file, as
/// pgpool does (SIGTERM smart, SIGINT fast, SIGQUIT immediate, SIGHUP reload). Stop waits until the process is
/// gone, re-sending the signal every 5 seconds, and removes the pid file.
/// </summary>
internal static class ControlCommands
{
    public static int Stop(string pidFile, ShutdownMode mode, TextWriter output, TextWriter error)
    {
        var pid = PidFile.TryRead(pidFile);
        if (pid is null)
        {
            error.WriteLine($"pgproxy: ERROR: could not read pid file \"{pidFile}\"; is pgproxy running?");
            return 1;
        }

        var signal = mode switch
        {
            ShutdownMode.Smart => NativeMethods.SigTerm,
            ShutdownMode.Fast => NativeMethods.SigInt,
            _ => NativeMethods.SigQuit,
        };
        if (!NativeMethods.SendSignal(pid.Value, signal))
        {
            error.WriteLine($"pgproxy: ERROR: no pgproxy process with pid {pid} (stale pid file \"{pidFile}\" removed)");
            PidFile.Remove(pidFile, pid.Value);
            return 1;
        }

        output.Write($"stop request sent to pgproxy (pid {pid}). waiting for termination...");
        var lastSignal = Environment.TickCount64;
        while (NativeMethods.IsAlive(pid.Value))
        {
            Thread.Sleep(100);
            if (Environment.TickCount64 - lastSignal >= 5000)
            {
                output.Write('.');
                NativeMethods.SendSignal(pid.Value, signal);
                lastSignal = Environment.TickCount64;
            }
        }

        PidFile.Remove(pidFile, pid.Value);
        output.WriteLine("done.");
        return 0;
    }

    public static int Reload(string pidFile, TextWriter error)
    {
        var pid = PidFile.TryRead(pidFile);
        if (pid is null || !NativeMethods.SendSignal(pid.Value, NativeMethods.SigHup))
        {
            error.WriteLine($"pgproxy: ERROR: could not signal pgproxy: no running process named by \"{pidFile}\"");
            return 1;
        }

        return 0;
    }
}
