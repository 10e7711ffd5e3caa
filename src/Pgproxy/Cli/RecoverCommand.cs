using System.Globalization;
using Npgsql;

namespace Pgproxy.Cli;

/// <summary>
/// <c>pgproxy node recover N [--wipe]</c>: starts the online recovery of a down node (PGPROXY RECOVER NODE) and follows
/// it through SHOW POOL_RECOVERY — a progress bar on a terminal, a line per phase otherwise — until the node is up
/// and verified (exit 0) or the recovery failed (exit 1, with the reason).
/// </summary>
internal static class RecoverCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static int Follow(NpgsqlConnection connection, CommandLine command, TextWriter output, TextWriter errors)
    {
        var node = command.NodeId.ToString(CultureInfo.InvariantCulture);
        using (var start = new NpgsqlCommand($"PGPROXY RECOVER NODE {node}{(command.NodeWipe ? " WIPE" : "")}", connection))
        {
            output.WriteLine(start.ExecuteScalar() as string ?? "");
        }

        var bar = !Console.IsErrorRedirected;
        var lastPhase = "";
        while (true)
        {
            var row = Status(connection);
            if (row is null || row["node_id"] != node)
            {
                errors.WriteLine($"pgproxy: ERROR: the recovery of node {node} is no longer shown by SHOW POOL_RECOVERY");
                return 1;
            }

            if (bar)
            {
                errors.Write($"\r{Line(row),-100}");
            }
            else if (row["phase"] != lastPhase)
            {
                output.WriteLine($"{row["elapsed"]} s  {row["phase"]}  {row["detail"]}");
            }

            lastPhase = row["phase"];
            switch (row["state"])
            {
                case "running":
                    Thread.Sleep(PollInterval);
                    continue;
                case "succeeded":
                    if (bar)
                    {
                        errors.WriteLine();
                    }

                    output.WriteLine($"node {node} recovered, attached and verified in {row["elapsed"]} s " +
                                     $"(cutover held commits {row["cutover_pause_ms"]} ms)");
                    return 0;
                default:
                    if (bar)
                    {
                        errors.WriteLine();
                    }

                    errors.WriteLine($"pgproxy: ERROR: the recovery of node {node} failed: {row["detail"]}");
                    return 1;
            }
        }
    }

    private static Dictionary<string, string>? Status(NpgsqlConnection connection)
    {
        using var cmd = new NpgsqlCommand("SHOW POOL_RECOVERY", connection);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return Enumerable.Range(0, reader.FieldCount)
            .ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? "" : reader.GetString(i));
    }

    /// <summary><c>[copy] 3/12 tables, 1.2 MB, lag 40 kB, 12.5 s</c>.</summary>
    private static string Line(Dictionary<string, string> row) =>
        $"[{row["phase"]}] {row["tables_copied"]}/{row["tables_total"]} tables, {Size(row["bytes_copied"])}, " +
        $"lag {Size(row["lag_bytes"])}, {row["elapsed"]} s";

    private static string Size(string bytes) =>
        long.TryParse(bytes, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n >= 1 << 20 ? $"{n / 1048576.0:0.0} MB" : $"{n / 1024.0:0} kB"
            : "-";
}
