using System.Buffers.Binary;
using System.Text;

namespace Pgproxy.Core.Replication;

/// <summary>The Query messages pgproxy sends on its own, encoded once.</summary>
internal static class InjectedQueries
{
    public static readonly byte[] Begin = Encode("BEGIN");

    public static readonly byte[] Commit = Encode("COMMIT");

    public static readonly byte[] Rollback = Encode("ROLLBACK");

    /// <summary>
    /// Main's transaction timestamp in ISO form with an explicit UTC offset, which every node reads back as the
    /// same instant whatever its DateStyle.
    /// </summary>
    public static readonly byte[] SelectNow = Encode(
        "SELECT pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");

    /// <summary>A Query message for <paramref name="sql"/>.</summary>
    public static byte[] Encode(string sql)
    {
        var length = Encoding.UTF8.GetByteCount(sql);
        var frame = new byte[length + 6];
        frame[0] = (byte)'Q';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), length + 5);
        Encoding.UTF8.GetBytes(sql, frame.AsSpan(5));
        return frame;
    }

    /// <summary>
    /// A statement that fails on any node, in any database, with no side effect: the way to put a node's transaction
    /// into the same failed state as the client's when pgproxy itself fails the client's statement. Its own error
    /// (22P02, or 25P02 in a transaction that already failed) is swallowed; the client gets pgproxy's. A cast of a
    /// literal needs no table, function or procedural language, so nothing a database lacks can make it succeed
    /// or fail differently.
    /// </summary>
    public static readonly byte[] FailTransaction = Encode("SELECT 'pgproxy failed the statement'::int");

    /// <summary><c>LOCK TABLE</c> for <c>insert_lock</c>: it conflicts with itself and with writers of the table.</summary>
    public static byte[] LockTable(string table) => Encode("LOCK TABLE " + QuoteQualified(table) +
                                                          " IN SHARE ROW EXCLUSIVE MODE");

    public static string QuoteQualified(string name)
    {
        var parts = name.Split('.');
        return string.Join('.', parts.Select(p => "\"" + p.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }
}
