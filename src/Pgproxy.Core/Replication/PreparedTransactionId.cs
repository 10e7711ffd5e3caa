using System.Globalization;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The name pgproxy gives a transaction it prepares on the other nodes: the node that was main and main's
/// transaction id (<c>pg_current_xact_id()</c>). Main's commit log is the decision record: whichever pgproxy finds
/// the prepared transaction later asks that node <c>pg_xact_status(xid)</c> and commits or rolls back accordingly.
/// </summary>
internal readonly record struct PreparedTransactionId(int MainNodeId, ulong Xid)
{
    public const string Prefix = "pgproxy_";

    /// <summary>The gid, e.g. <c>pgproxy_0_7521</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{MainNodeId}_{Xid}");

    public static bool TryParse(string gid, out PreparedTransactionId id)
    {
        id = default;
        if (!gid.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = gid[Prefix.Length..].Split('_');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var node)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var xid))
        {
            return false;
        }

        id = new PreparedTransactionId(node, xid);
        return true;
    }
}
