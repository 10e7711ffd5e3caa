using System.Text;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Whether a COMMIT/ROLLBACK ends with <c>AND CHAIN</c>: it then opens a new transaction with the ended one's
/// isolation level, read-only and deferrable modes, which every node must get alike (a node that merely rolled
/// back, or never started the transaction, would run the next statement under the session's defaults).
/// </summary>
internal static class TransactionChain
{
    /// <summary>
    /// True for <c>… AND CHAIN</c> (not <c>AND NO CHAIN</c>) at the end of a Query body's text, comments and a
    /// trailing semicolon aside; the caller knows the statement is a COMMIT or ROLLBACK.
    /// </summary>
    public static bool Chains(ReadOnlySpan<byte> utf8Sql)
    {
        var nul = utf8Sql.IndexOf((byte)0);
        var text = Encoding.UTF8.GetString(nul < 0 ? utf8Sql : utf8Sql[..nul]);
        var lexer = new SqlLexer(text);
        SqlKeyword last = SqlKeyword.None, beforeLast = SqlKeyword.None;
        while (lexer.Next(out var token))
        {
            if (token.Kind == SqlTokenKind.Semicolon)
            {
                continue;
            }

            beforeLast = last;
            last = token.Kind == SqlTokenKind.Word ? token.Keyword : SqlKeyword.None;
        }

        return last == SqlKeyword.Chain && beforeLast == SqlKeyword.And;
    }
}
