using System.Text.RegularExpressions;

namespace Pgproxy.Core.Replication;

/// <summary>What the text of a BEGIN or SET TRANSACTION says of the transaction it opens or sets.</summary>
internal static partial class TransactionModes
{
    /// <summary>Longer texts are not looked at: clients send these short; a pathological one stays unmatched.</summary>
    private const int MaxLength = 160;

    /// <summary>
    /// A BEGIN that no node can refuse: BEGIN/START TRANSACTION with only well-formed isolation, access and
    /// deferrable modes. Anything else (comments, typos) runs on the nodes at once, so an error is seen.
    /// </summary>
    public static bool IsPlainBegin(ReadOnlySpan<byte> text) => Matches(text, PlainBegin());

    /// <summary>
    /// The access mode the statement gives its transaction: READ ONLY (true: BEGIN … READ ONLY, SET TRANSACTION READ
    /// ONLY, SET transaction_read_only = on), READ WRITE (false), or null when it names neither (the transaction keeps
    /// what it had, at first default_transaction_read_only). A READ ONLY one can write nothing the nodes would have to
    /// agree on; a SERIALIZABLE READ ONLY DEFERRABLE one waits for a snapshot no serializable writer can disturb, so
    /// it must never take it while those writers' commits wait at the write gate.
    /// </summary>
    public static bool? NamedAccess(ReadOnlySpan<byte> text) =>
        Matches(text, ReadOnly()) ? true : Matches(text, ReadWrite()) ? false : null;

    /// <summary>
    /// SET TRANSACTION SNAPSHOT: the snapshot it imports was exported on main (pg_export_snapshot, a replication
    /// slot's EXPORT_SNAPSHOT) and exists nowhere else, so it runs on main alone and the transaction's snapshot is
    /// main's; the other nodes, which cannot share it, take theirs when its first write reaches them.
    /// </summary>
    public static bool ImportsSnapshot(string? firstKeyword, ReadOnlySpan<byte> text)
    {
        if (firstKeyword != "SET")
        {
            return false;
        }

        var words = System.Text.Encoding.UTF8.GetString(text).Split((char[]?)null, 4,
            StringSplitOptions.RemoveEmptyEntries);
        return words.Length >= 3 && words[1].Equals("TRANSACTION", StringComparison.OrdinalIgnoreCase)
            && words[2].Equals("SNAPSHOT", StringComparison.OrdinalIgnoreCase);
    }

    private static bool Matches(ReadOnlySpan<byte> text, Regex regex)
    {
        if (text.Length > MaxLength)
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 127)
            {
                return false;
            }

            chars[i] = (char)text[i];
        }

        return regex.IsMatch(chars);
    }

    [GeneratedRegex(
        @"^\s*(BEGIN(\s+(WORK|TRANSACTION))?|START\s+TRANSACTION)(\s*,?\s*(ISOLATION\s+LEVEL\s+(READ\s+COMMITTED|READ\s+UNCOMMITTED|REPEATABLE\s+READ|SERIALIZABLE)|READ\s+ONLY|READ\s+WRITE|NOT\s+DEFERRABLE|DEFERRABLE))*\s*;?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlainBegin();

    // The modes, or SET [LOCAL|SESSION] transaction_read_only to a boolean as PostgreSQL spells one (prefixes too).
    [GeneratedRegex(@"^\s*((BEGIN|START\s+TRANSACTION|SET\s+TRANSACTION)\b.*\bREAD\s+ONLY\b|" + SetReadOnly
        + @"(t|tr|tru|true|y|ye|yes|on|1)'?\s*;?\s*$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex ReadOnly();

    [GeneratedRegex(@"^\s*((BEGIN|START\s+TRANSACTION|SET\s+TRANSACTION)\b.*\bREAD\s+WRITE\b|" + SetReadOnly
        + @"(f|fa|fal|fals|false|n|no|of|off|0)'?\s*;?\s*$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex ReadWrite();

    private const string SetReadOnly = @"SET\s+((LOCAL|SESSION)\s+)?transaction_read_only(\s*=\s*|\s+TO\s+)'?";
}
