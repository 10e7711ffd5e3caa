using System.Globalization;
using System.Text;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// <c>pgproxy_status</c> in <c>work_dir</c>, pgproxy's <c>pgpool_status</c>: one line per node,
/// <c>node_id up|down changed_at [reason]</c>. It is rewritten whole on every status change (temp file, then
/// rename, so a crash leaves the old file or the new one, never half of one) and read at start, so that a
/// degenerated node stays down across restarts until it is attached. pgpool's own format (a bare
/// <c>up</c>/<c>down</c>/<c>unused</c> per line, line N for node N) is read too, so its file can be carried over.
/// </summary>
internal static class NodeStatusFile
{
    public const string FileName = "pgproxy_status";

    private const string Header =
        "# pgproxy node status: node_id up|down changed_at reason. Rewritten by pgproxy on every change;\n" +
        "# a node marked down stays down across restarts until it is attached (pgproxy -D discards this file).\n";

    public static string PathIn(string workDir) => Path.Combine(workDir, FileName);

    /// <summary>
    /// Reads the file at <paramref name="path"/>; null when there is none. Lines that cannot be understood are
    /// skipped with a warning naming <c>file:line</c>; nothing here throws for bad content.
    /// </summary>
    public static NodeStatusFileContent? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var text = File.ReadAllText(path);
        return Parse(text, path, new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
    }

    /// <summary>
    /// Parses the text of a status file. <paramref name="fileTime"/> dates the lines of pgpool's format, which
    /// carry no time of their own.
    /// </summary>
    public static NodeStatusFileContent Parse(string text, string path, DateTimeOffset fileTime)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<SavedNodeStatus>();
        var warnings = new List<string>();
        var seen = new HashSet<int>();
        var bareIndex = 0;
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var entry = ParseLine(line, ref bareIndex, fileTime, out var problem);
            if (entry is null)
            {
                if (problem is not null)
                {
                    warnings.Add($"{path}:{lineNumber}: {problem}; line ignored");
                }

                continue;
            }

            if (!seen.Add(entry.NodeId))
            {
                warnings.Add($"{path}:{lineNumber}: node {entry.NodeId} is listed twice; line ignored");
                continue;
            }

            entries.Add(entry);
        }

        return new NodeStatusFileContent(entries, warnings);
    }

    /// <summary>The file's text for these node statuses (waiting is written as up, as pgpool does).</summary>
    public static string Format(IEnumerable<SavedNodeStatus> statuses)
    {
        var text = new StringBuilder(Header);
        foreach (var status in statuses.OrderBy(s => s.NodeId))
        {
            text.Append(status.NodeId.ToString(CultureInfo.InvariantCulture))
                .Append(status.Status == BackendStatus.Down ? " down " : " up ")
                .Append(status.ChangedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            var reason = OneLine(status.Reason);
            if (reason.Length > 0)
            {
                text.Append(' ').Append(reason);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Replaces the file at <paramref name="path"/> with these statuses (see <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IEnumerable<SavedNodeStatus> statuses) =>
        AtomicFile.Write(path, Format(statuses));

    private static SavedNodeStatus? ParseLine(string line, ref int bareIndex, DateTimeOffset fileTime,
        out string? problem)
    {
        problem = null;
        var parts = line.Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 1)
        {
            // pgpool's format: the line's position is the node id.
            var nodeId = bareIndex++;
            if (!TryParseStatus(parts[0], out var bareStatus, out var unused))
            {
                problem = $"unknown status \"{parts[0]}\" (expected up, down or unused)";
                return null;
            }

            return unused ? null : new SavedNodeStatus(nodeId, bareStatus, fileTime, "");
        }

        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            problem = $"\"{parts[0]}\" is not a node id";
            return null;
        }

        if (!TryParseStatus(parts[1], out var status, out var isUnused))
        {
            problem = $"unknown status \"{parts[1]}\" for node {id} (expected up, down or unused)";
            return null;
        }

        if (isUnused)
        {
            return null;
        }

        var changedAt = fileTime;
        if (parts.Length >= 3 && !DateTimeOffset.TryParseExact(parts[2], "O", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out changedAt))
        {
            problem = $"\"{parts[2]}\" is not a time (expected ISO 8601, as pgproxy writes it) for node {id}";
            return null;
        }

        return new SavedNodeStatus(id, status, changedAt, parts.Length == 4 ? parts[3] : "");
    }

    private static bool TryParseStatus(string word, out BackendStatus status, out bool unused)
    {
        unused = false;
        status = BackendStatus.Up;
        switch (word.ToLowerInvariant())
        {
            case "up":
                return true;
            case "down":
                status = BackendStatus.Down;
                return true;
            case "unused":
                unused = true;
                return true;
            default:
                return false;
        }
    }

    /// <summary>A reason on one line (an error message may span several), so every node keeps one line.</summary>
    private static string OneLine(string reason) =>
        reason.ReplaceLineEndings(" ").Trim();
}
