using System.Text.RegularExpressions;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// What a healthy PostgreSQL answers, closely enough for pgproxy's write path: transaction control, DML tags with one
/// affected row, one row for a SELECT, COPY FROM STDIN, and plausible answers to the queries pgproxy sends on its own
/// (a text literal cast to int fails with 22P02, the catalog lookups find nothing special, <c>SELECT now()</c>
/// gives a fixed timestamp).
/// </summary>
internal static partial class NodeDefaults
{
    /// <summary>The timestamp a node gives for pgproxy's <c>SELECT now()</c> query.</summary>
    public const string Now = "2024-05-01 12:00:00.000000+00";

    public static NodeReply Reply(string sql)
    {
        if (sql.Length == 0)
        {
            return NodeReply.Empty();
        }

        if (FailingCast().IsMatch(sql))
        {
            return NodeReply.Error("22P02", "invalid input syntax for type integer");
        }

        if (sql.Contains("pg_catalog.pg_proc", StringComparison.Ordinal))
        {
            return NodeReply.Values(); // no volatile function matters to the tests' statements
        }

        if (sql.Contains("pg_catalog.pg_attribute", StringComparison.Ordinal))
        {
            return NodeReply.Values("0"); // no sequence: insert_lock has nothing to lock
        }

        if (sql.Contains("pg_catalog.now()", StringComparison.Ordinal))
        {
            return NodeReply.Values(Now);
        }

        if (IsCopyFromStdin(sql))
        {
            return NodeReply.CopyIn();
        }

        var verb = Verb(sql);
        return verb switch
        {
            "BEGIN" or "START" => NodeReply.Command("BEGIN"),
            "COMMIT" or "END" => NodeReply.Command("COMMIT"),
            "ROLLBACK" or "ABORT" => NodeReply.Command("ROLLBACK"),
            "SELECT" or "WITH" or "VALUES" or "SHOW" => NodeReply.Values("1"),
            "INSERT" => NodeReply.Command("INSERT 0 1"),
            "UPDATE" or "DELETE" or "MERGE" => NodeReply.Command(verb + " 1"),
            "LOCK" => NodeReply.Command("LOCK TABLE"),
            "DISCARD" => NodeReply.Command("DISCARD ALL"),
            "CREATE" or "DROP" or "ALTER" => NodeReply.Command(verb + " " + SecondWord(sql)),
            _ => NodeReply.Command(verb),
        };
    }

    /// <summary>True when a Describe of the statement answers RowDescription rather than NoData.</summary>
    public static bool ReturnsRows(string sql) =>
        Verb(sql) is "SELECT" or "WITH" or "VALUES" or "SHOW"
        || sql.Contains(" RETURNING ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first word, upper case.</summary>
    public static string Verb(string sql)
    {
        var trimmed = sql.TrimStart();
        var end = trimmed.IndexOfAny([' ', '\t', '\n', '(', ';']);
        return (end < 0 ? trimmed : trimmed[..end]).ToUpperInvariant();
    }

    public static bool IsCopyFromStdin(string sql) =>
        Verb(sql) == "COPY" && sql.Contains("FROM STDIN", StringComparison.OrdinalIgnoreCase);

    private static string SecondWord(string sql)
    {
        var words = sql.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 1 ? words[1].ToUpperInvariant() : "";
    }

    /// <summary>A cast of a non-number text literal to int: what pgproxy sends to fail a node's transaction.</summary>
    [GeneratedRegex(@"^SELECT '[^']*[^0-9' ][^']*'::int$")]
    private static partial Regex FailingCast();
}
