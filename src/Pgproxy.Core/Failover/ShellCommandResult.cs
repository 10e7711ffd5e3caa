namespace Pgproxy.Core.Failover;

/// <summary>
/// How a shell command ended: its exit code (null when it was killed for taking too long), and the start of what
/// it wrote to stdout and stderr.
/// </summary>
internal sealed record ShellCommandResult(int? ExitCode, string StdOut, string StdErr, TimeSpan Duration)
{
    public bool TimedOut => ExitCode is null;

    public bool Succeeded => ExitCode == 0;
}
