namespace Pgproxy.Core.Consistency;

/// <summary>
/// What to check: <paramref name="NodeId"/> against main (null: every live node), the tables and databases named
/// (empty: all), and who asked (for the log). <paramref name="Attach"/> marks the check that an ATTACH of a down node
/// runs first: that node is compared although it is not live.
/// </summary>
internal sealed record CheckRequest(
    int? NodeId,
    IReadOnlyCollection<string> Tables,
    IReadOnlyCollection<string> Databases,
    string RequestedBy,
    bool Attach = false);
