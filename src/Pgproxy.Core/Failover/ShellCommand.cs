using System.Diagnostics;
using System.Text;

namespace Pgproxy.Core.Failover;

/// <summary>
/// Runs one command line through <c>/bin/sh -c</c>, as pgpool runs its hooks: stdin closed, stdout and stderr
/// captured (the first <see cref="OutputLimit"/> characters of each), killed with all its children when it
/// takes longer than the timeout.
/// </summary>
internal static class ShellCommand
{
    /// <summary>Characters of stdout and stderr kept for the log; the rest is read and dropped.</summary>
    public const int OutputLimit = 4096;

    /// <summary>
    /// How long to wait for the output pipes to close once the shell has exited: a command that started a
    /// background job keeps them open, and that must not hold up the next hook.
    /// </summary>
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="command"/>; throws only when the shell cannot be started at all.</summary>
    public static async Task<ShellCommandResult> RunAsync(string command, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", command },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)
            ?? throw new InvalidOperationException("/bin/sh could not be started");
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var reading = Task.WhenAll(
            ReadCappedAsync(process.StandardOutput, stdout),
            ReadCappedAsync(process.StandardError, stderr));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        int? exitCode;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            exitCode = null;
        }

        await Task.WhenAny(reading, Task.Delay(OutputGrace, CancellationToken.None));
        lock (stdout)
        {
            lock (stderr)
            {
                return new ShellCommandResult(exitCode, stdout.ToString().TrimEnd(), stderr.ToString().TrimEnd(),
                    clock.Elapsed);
            }
        }
    }

    private static async Task ReadCappedAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[1024];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                lock (into)
                {
                    into.Append(buffer, 0, Math.Min(read, Math.Max(0, OutputLimit - into.Length)));
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process was killed or disposed: what was read so far is all there is.
        }
    }
}
