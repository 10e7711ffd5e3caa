namespace Pgproxy.Core.Consistency;

/// <summary>
/// One difference between a node and main. <paramref name="Relation"/> is <c>schema.name</c> (quoted where
/// PostgreSQL would quote it), empty for <see cref="FindingKind.DatabaseMissing"/>. <paramref name="Detail"/> is
/// one line for a person ("rows 1000 on node 0, 999 on node 1"); <paramref name="Ranges"/> are the primary-key
/// ranges whose rows differ (<c>[lo, hi)</c> in key order, e.g. <c>(id) [1001, 2001)</c>), <paramref name="Keys"/>
/// the keys that differ when a range is small enough to list them (<c>id=1500 missing on node 1</c>).
/// </summary>
internal sealed record CheckFinding(
    FindingKind Kind,
    string Database,
    string Relation,
    int NodeId,
    string Detail,
    IReadOnlyList<string> Ranges,
    IReadOnlyList<string> Keys)
{
    /// <summary>
    /// The node's data differs from main's. Types under other OIDs alone (<see cref="FindingKind.TypeOidsDiffer"/>) are
    /// reported but neither fail a node over nor refuse its ATTACH: see <see cref="TypeOids"/>.
    /// </summary>
    public bool DataDiffers => Kind != FindingKind.TypeOidsDiffer;
}
