using System.Globalization;
using Npgsql;
using Pgproxy.Core.Config;

namespace Pgproxy.Cli;

/// <summary>
/// <c>pgproxy check [-U user] [--table T]… [--database D]…</c>: starts a consistency check on the running pgproxy
/// (PGPROXY CHECK), follows it through SHOW POOL_CHECK — a progress bar on a terminal — and prints what differs.
/// Exit code 0 when every node holds what main holds, 1 when something differs, 2 when it could not check.
/// </summary>
internal static class CheckCommand
{
    private const int CouldNotCheck = 2;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static int Run(ProxyOptions options, CommandLine command, TextWriter output, TextWriter errors) =>
        NodeCommand.WithConnection(options, command.NodeUser, "pgproxy check", errors,
            connection => Follow(connection, Statement(command), output, errors), CouldNotCheck);

    /// <summary>PGPROXY CHECK with the names double-quoted part by part, so they are taken exactly as given.</summary>
    public static string Statement(CommandLine command)
    {
        static string QuoteOne(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        static string Quote(string name) => string.Join('.', name.Split('.').Select(QuoteOne));
        var sql = "PGPROXY CHECK";
        if (command.CheckTables.Count > 0)
        {
            sql += " TABLE " + string.Join(", ", command.CheckTables.Select(Quote));
        }

        if (command.CheckDatabases.Count > 0)
        {
            sql += " DATABASE " + string.Join(", ", command.CheckDatabases.Select(QuoteOne));
        }

        return sql;
    }

    private static int Follow(NpgsqlConnection connection, string statement, TextWriter output, TextWriter errors)
    {
        string runId;
        using (var start = new NpgsqlCommand(statement, connection))
        using (var reader = start.ExecuteReader())
        {
            reader.Read();
            runId = reader.GetString(reader.GetOrdinal("run_id"));
        }

        var bar = !Console.IsErrorRedirected;
        while (true)
        {
            var rows = PoolCheck(connection);
            if (rows.Count == 0 || rows[0][0] != runId)
            {
                errors.WriteLine($"pgproxy: ERROR: consistency check {runId} is no longer shown by SHOW POOL_CHECK");
                return CouldNotCheck;
            }

            var summary = rows[0];
            if (summary[1] == "running")
            {
                if (bar)
                {
                    errors.Write("\r" + ProgressBar(summary));
                }

                Thread.Sleep(PollInterval);
                continue;
            }

            if (bar)
            {
                errors.Write("\r" + ProgressBar(summary) + "\n");
            }

            return Report(rows, output, errors);
        }
    }

    private static int Report(List<string[]> rows, TextWriter output, TextWriter errors)
    {
        var summary = rows[0];
        switch (summary[1])
        {
            case "identical":
                output.WriteLine(summary[9]);
                return 0;
            case "failed":
                errors.WriteLine($"pgproxy: ERROR: {summary[9]}");
                return CouldNotCheck;
            default:
                var findings = rows.Skip(1).Where(r => r[8] is not ("same" or "checking" or "main"))
                    .Select(r => new[] { r[2], r[3], r[4], r[8], r[9] }).ToList();
                output.Write(NodeCommand.FormatTable(["database", "table", "node_id", "verdict", "detail"], findings));
                output.WriteLine(summary[9]);
                return 1;
        }
    }

    private static List<string[]> PoolCheck(NpgsqlConnection connection)
    {
        using var cmd = new NpgsqlCommand("SHOW POOL_CHECK", connection);
        using var reader = cmd.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : reader.GetString(i))]);
        }

        return rows;
    }

    /// <summary><c>[#########.........]  45%  450000/1000000 rows  3.2 s</c> from the summary row.</summary>
    private static string ProgressBar(string[] summary)
    {
        var done = long.Parse(summary[5], CultureInfo.InvariantCulture);
        var total = long.Parse(summary[6], CultureInfo.InvariantCulture);
        var fraction = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
        var filled = (int)(fraction * 30);
        return $"[{new string('#', filled)}{new string('.', 30 - filled)}] {fraction * 100,3:0}%  " +
               $"{done}/{total} rows  {summary[7]} s";
    }
}
