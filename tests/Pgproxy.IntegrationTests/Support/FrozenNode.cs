using System.Globalization;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// A PostgreSQL node frozen with SIGSTOP — the postmaster and every backend it forked, so that sessions already
/// connected stop answering too (stopping the postmaster alone only hangs new connections). Disposing sends
/// SIGCONT to all of them; always dispose, or the node stays frozen for the next test.
/// </summary>
internal sealed class FrozenNode : IAsyncDisposable
{
    private readonly List<int> _stopped;
    private int _thawed;

    private FrozenNode(List<int> stopped) => _stopped = stopped;

    public static async Task<FrozenNode> FreezeAsync(PostgresInstance node)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(node.DataDirectory, "postmaster.pid")).First(),
            CultureInfo.InvariantCulture);

        // The postmaster first, so that it forks no backend after the children are listed.
        var frozen = new FrozenNode([postmaster]);
        try
        {
            await SignalAsync("-STOP", [postmaster]);
            var children = ChildrenOf(postmaster);
            frozen._stopped.AddRange(children);
            await SignalAsync("-STOP", children);
        }
        catch
        {
            await frozen.DisposeAsync();
            throw;
        }

        return frozen;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _thawed, 1) == 0)
        {
            await SignalAsync("-CONT", _stopped);
        }
    }

    private static async Task SignalAsync(string signal, List<int> pids)
    {
        if (pids.Count == 0)
        {
            return;
        }

        // A backend that exited meanwhile makes kill fail for that pid only; the others are still signalled.
        await ProcessRunner.RunAsync("kill",
            [signal, .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
    }

    /// <summary>Processes whose parent is <paramref name="parent"/>, from /proc/*/stat.</summary>
    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited while we looked
            }

            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var ppid)
                                  && ppid == parent)
            {
                children.Add(pid);
            }
        }

        return children;
    }
}
