namespace Pgproxy.TestUtilities.Postgres;

/// <summary>What a finished (or timed-out) child process left behind.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StdOut, string StdErr, bool TimedOut)
{
    /// <summary>True when the process exited by itself with code 0.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>Throws with the command line, exit code and both streams unless the process succeeded.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new InvalidOperationException(
                $"'{Command}' {(TimedOut ? "timed out" : $"exited with {ExitCode}")}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}");
        }

        return this;
    }
}
