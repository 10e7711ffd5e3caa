namespace Pgproxy.Core.Consistency;

/// <summary>The outcome of comparing one database on every node against main.</summary>
internal sealed record DatabaseCheck(string Database, IReadOnlyList<TableDigest> Digests, IReadOnlyList<CheckFinding> Findings)
{
    public bool Identical => Findings.Count == 0;

    /// <summary>
    /// The user's table names that matched no table or sequence of this database on any node (a name may well
    /// belong to another database; a name unmatched in every database is a typo worth saying).
    /// </summary>
    public IReadOnlyList<string> UnmatchedTables { get; init; } = [];
}
