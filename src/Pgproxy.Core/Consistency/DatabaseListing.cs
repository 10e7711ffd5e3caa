using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;
using Pgproxy.Core.Health;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// The databases a check compares: those that accept connections and are not templates, read on every node. A
/// database on some nodes only is a finding; pgproxy's own system DB, where it lives on a node, is not compared
/// (it exists on that node alone by design).
/// </summary>
internal sealed class DatabaseListing
{
    private readonly Dictionary<int, HashSet<string>> _byNode = [];

    private DatabaseListing(List<string> onMain) => OnMain = onMain;

    /// <summary>Main's databases, in name order.</summary>
    public List<string> OnMain { get; }

    public List<CheckFinding> Findings { get; } = [];

    public bool Has(int nodeId, string database) => _byNode.TryGetValue(nodeId, out var names) && names.Contains(database);

    public static async Task<DatabaseListing> ReadAsync(ServiceConnector connector, IReadOnlyList<BackendNode> nodes,
        string applicationName, ProxyOptions options, CancellationToken cancellationToken)
    {
        var lists = await Task.WhenAll(nodes.Select(n => ReadNodeAsync(connector, n, applicationName, options,
            cancellationToken)));
        var main = nodes[0].NodeId;
        var listing = new DatabaseListing([.. lists[0].Order(StringComparer.Ordinal)]);
        for (var i = 0; i < nodes.Count; i++)
        {
            listing._byNode[nodes[i].NodeId] = lists[i];
        }

        for (var i = 1; i < nodes.Count; i++)
        {
            var id = nodes[i].NodeId;
            foreach (var name in lists[0].Except(lists[i]).Order(StringComparer.Ordinal))
            {
                listing.Findings.Add(new CheckFinding(FindingKind.DatabaseMissing, name, "", id,
                    $"database on node {main} only, not on node {id}", [], []));
            }

            foreach (var name in lists[i].Except(lists[0]).Order(StringComparer.Ordinal))
            {
                listing.Findings.Add(new CheckFinding(FindingKind.DatabaseMissing, name, "", id,
                    $"database on node {id} only, not on main (node {main})", [], []));
            }
        }

        return listing;
    }

    private static async Task<HashSet<string>> ReadNodeAsync(ServiceConnector connector, BackendNode node,
        string applicationName, ProxyOptions options, CancellationToken cancellationToken)
    {
        var connection = await connector.OpenAsync(node, database: null, applicationName, cancellationToken);
        try
        {
            var rows = await BackendQuery.RunAsync(connection,
                "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate",
                cancellationToken);
            return rows.Select(r => r[0]!).Where(name => !SystemDbSettings.IsSystemDb(node.Config, name, options))
                .ToHashSet(StringComparer.Ordinal);
        }
        finally
        {
            await connection.TerminateAsync();
        }
    }
}
