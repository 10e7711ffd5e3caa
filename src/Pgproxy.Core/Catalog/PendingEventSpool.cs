using System.Globalization;
using System.Text;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// <c>pgproxy_catalog_queue</c> in <c>work_dir</c>: the node events the system DB has not taken yet, kept while
/// it is unreachable so that a pgproxy stop (or crash) during an outage loses none of them. One line per event,
/// <c>uid node_id previous current at main_before main_after reason</c>, in order. It is rewritten whenever the
/// queue changes during an outage, deleted once the queue is written, and read back at start; the uid makes a
/// replay of events the system DB already holds harmless.
/// </summary>
internal static class PendingEventSpool
{
    public const string FileName = "pgproxy_catalog_queue";

    private const string Header =
        "# pgproxy node events not yet written to the system DB: uid node_id previous current at main_before\n" +
        "# main_after reason. Written during a system DB outage, read and replayed at the next start.\n";

    public static string PathIn(string workDir) => Path.Combine(workDir, FileName);

    /// <summary>Replaces the file with these events (see <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IEnumerable<PendingNodeEvent> events) =>
        AtomicFile.Write(path, Format(events));

    public static string Format(IEnumerable<PendingNodeEvent> events)
    {
        var text = new StringBuilder(Header);
        foreach (var (uid, change) in events)
        {
            text.Append(uid.ToString("D")).Append(' ')
                .Append(change.NodeId.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(Name(change.Previous)).Append(' ')
                .Append(Name(change.Current)).Append(' ')
                .Append(change.At.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)).Append(' ')
                .Append(change.MainBefore.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(change.MainAfter.ToString(CultureInfo.InvariantCulture));
            var reason = change.Reason.ReplaceLineEndings(" ").Trim();
            if (reason.Length > 0)
            {
                text.Append(' ').Append(reason);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// The events in the file at <paramref name="path"/> (none when there is no file); a line that cannot be
    /// understood is skipped with a warning naming <c>file:line</c>.
    /// </summary>
    public static IReadOnlyList<PendingNodeEvent> Read(string path, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        if (!File.Exists(path))
        {
            return [];
        }

        var events = new List<PendingNodeEvent>();
        var lineNumber = 0;
        foreach (var rawLine in File.ReadAllText(path).Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (ParseLine(line) is { } pending)
            {
                events.Add(pending);
            }
            else
            {
                warnings.Add($"{path}:{lineNumber}: not a node event (uid node_id previous current at main_before " +
                    "main_after reason); line ignored");
            }
        }

        return events;
    }

    private static PendingNodeEvent? ParseLine(string line)
    {
        var parts = line.Split(' ', 8, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 7
            || !Guid.TryParse(parts[0], out var uid)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var nodeId)
            || !TryParseStatus(parts[2], out var previous)
            || !TryParseStatus(parts[3], out var current)
            || !DateTimeOffset.TryParseExact(parts[4], "O", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var at)
            || !int.TryParse(parts[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var mainBefore)
            || !int.TryParse(parts[6], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var mainAfter))
        {
            return null;
        }

        var reason = parts.Length == 8 ? parts[7] : "";
        return new PendingNodeEvent(uid,
            new NodeStatusChange(nodeId, previous, current, reason, at, mainBefore, mainAfter));
    }

    private static bool TryParseStatus(string word, out BackendStatus status) =>
        Enum.TryParse(word, ignoreCase: true, out status) && Enum.IsDefined(status)
        && !char.IsAsciiDigit(word[0]);

    private static string Name(BackendStatus status) => status.ToString().ToLowerInvariant();
}
