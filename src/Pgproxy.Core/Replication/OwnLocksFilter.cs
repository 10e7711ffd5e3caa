using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Keeps insert_lock's advisory lock (<see cref="InjectedQueries.LockTable"/>) out of what clients read from
/// <c>pg_locks</c>: each reference to the view as a relation becomes a subquery without pgproxy's own rows. A client
/// counting the advisory locks of its database (PostgreSQL's advisory_lock test, a job scheduler checking its own
/// locks) would otherwise see a lock it never took whenever another session inserts into a table with a sequence at
/// that moment. Everything else in the view stays: a session waiting for insert_lock still shows its wait in
/// <c>pg_stat_activity</c> (wait_event <c>advisory</c>).
/// </summary>
internal static class OwnLocksFilter
{
    private const string View = "pg_locks";

    /// <summary>What the view becomes: every row but those of insert_lock's key (classid, two int4 halves).</summary>
    private static readonly string Subquery =
        "(SELECT * FROM pg_catalog.pg_locks WHERE NOT (locktype = 'advisory' AND classid = '" +
        InjectedQueries.InsertLockKey + "'::pg_catalog.oid AND objsubid = 2))";

    /// <summary>Words that may follow a relation in FROM and are not an alias for it.</summary>
    private static readonly HashSet<string> NotAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "where", "join", "inner", "left", "right", "full", "cross", "natural", "on", "using", "group", "order",
        "limit", "offset", "fetch", "for", "union", "intersect", "except", "window", "having", "returning",
        "tablesample", "into", "with",
    };

    /// <summary>
    /// True when the UTF-8 SQL may name the view (a cheap byte test that lets almost every statement pass untouched:
    /// "pg_locks" in any letter case).
    /// </summary>
    public static bool MayName(ReadOnlySpan<byte> sql)
    {
        var from = 0;
        while (true)
        {
            var at = sql[from..].IndexOf((byte)'_');
            if (at < 0)
            {
                return false;
            }

            at += from;
            if (at >= 2 && at + 6 <= sql.Length && Ascii.EqualsIgnoreCase(sql.Slice(at - 2, 8), "pg_locks"u8))
            {
                return true;
            }

            from = at + 1;
        }
    }

    /// <summary>The SQL with every relation reference to pg_locks filtered, or null when it has none.</summary>
    public static string? Rewrite(string sql)
    {
        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(sql);
        while (lexer.Next(out var token))
        {
            tokens.Add(token);
        }

        StringBuilder? result = null;
        var copied = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!IsView(sql, tokens[i]))
            {
                continue;
            }

            var qualified = i >= 2 && tokens[i - 1].Kind == SqlTokenKind.Dot;
            if (qualified && !IsWord(sql, tokens[i - 2], "pg_catalog"))
            {
                continue; // another schema's relation of that name
            }

            var next = i + 1 < tokens.Count ? tokens[i + 1] : default;
            var hasNext = i + 1 < tokens.Count;
            if (hasNext && next.Kind is SqlTokenKind.Dot or SqlTokenKind.OpenParen)
            {
                continue; // pg_locks.mode (a column's qualifier), or a function of that name
            }

            var start = qualified ? tokens[i - 2].Start : tokens[i].Start;
            result ??= new StringBuilder(sql.Length + Subquery.Length + 16);
            result.Append(sql, copied, start - copied).Append(Subquery);
            if (!hasNext || !IsAlias(sql, next))
            {
                result.Append(" AS ").Append(View); // pg_locks.col elsewhere in the statement still resolves
            }

            copied = tokens[i].End;
        }

        return result?.Append(sql, copied, sql.Length - copied).ToString();
    }

    private static bool IsView(string sql, SqlToken token) =>
        token.Kind switch
        {
            SqlTokenKind.Word => sql.AsSpan(token.Start, token.Length).Equals(View, StringComparison.OrdinalIgnoreCase),
            SqlTokenKind.QuotedIdentifier => sql.AsSpan(token.Start, token.Length).SequenceEqual("\"pg_locks\""),
            _ => false,
        };

    private static bool IsWord(string sql, SqlToken token, string word) =>
        token.Kind == SqlTokenKind.Word
        && sql.AsSpan(token.Start, token.Length).Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>The token after the relation gives it a name of its own: AS, or a word that is not a clause.</summary>
    private static bool IsAlias(string sql, SqlToken next) =>
        next.Kind == SqlTokenKind.QuotedIdentifier
        || (next.Kind == SqlTokenKind.Word && !NotAliases.Contains(sql.Substring(next.Start, next.Length)));
}
