namespace Pgproxy.Core.Admin;

/// <summary>
/// What follows an admin command's words: the node id (-1 when missing or not a whole number) and FORCE of
/// <c>PGPROXY ATTACH NODE n [FORCE]</c> and WIPE of <c>PGPROXY RECOVER NODE n [WIPE]</c>; the tables and databases of <c>PGPROXY CHECK</c>; and what is wrong with
/// them, if anything.
/// </summary>
internal sealed record AdminArguments(int NodeId, bool Force, IReadOnlyList<string> Tables,
    IReadOnlyList<string> Databases, string? Problem)
{
    public static AdminArguments None { get; } = new(-1, false, [], [], null);

    /// <summary><c>PGPROXY RECOVER NODE n WIPE</c>: drop the node's databases first.</summary>
    public bool Wipe { get; init; }
}
