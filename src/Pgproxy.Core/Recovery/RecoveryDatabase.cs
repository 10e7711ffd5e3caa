namespace Pgproxy.Core.Recovery;

/// <summary>
/// One database being recovered: its name and oid on main, the slot its subscription uses there, and what the
/// recovery changed on main that it must undo (replica identities).
/// </summary>
internal sealed class RecoveryDatabase(string name, uint mainOid, int nodeId)
{
    public string Name { get; } = name;

    public uint MainOid { get; } = mainOid;

    public string Slot { get; } = RecoveryNames.Slot(nodeId, mainOid);

    /// <summary>The subscription's oid on the node once created (its table-sync slots on main carry it).</summary>
    public uint? SubscriptionOid { get; set; }

    /// <summary>Tables set to REPLICA IDENTITY FULL for the recovery, with the identity to give back (d or n).</summary>
    public List<(string Table, char Identity)> Identities { get; } = [];

    public bool PublicationCreated { get; set; }

    public bool SubscriptionCreated { get; set; }
}
