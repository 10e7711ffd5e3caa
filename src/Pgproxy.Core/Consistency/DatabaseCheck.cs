namespace Pgproxy.Core.Consistency;

/// <summary>The outcome of comparing one database on every node against main.</summary>
internal sealed record DatabaseCheck(string Database, IReadOnlyList<TableDigest> Digests, IReadOnlyList<CheckFinding> Findings)
{
    public bool Identical => Findings.Count == 0;
}
