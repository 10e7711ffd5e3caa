using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>How node statuses are spelled in the catalog: the words of <c>SHOW POOL_NODES</c>.</summary>
internal static class CatalogStatusNames
{
    public static string Of(BackendStatus status) => status switch
    {
        BackendStatus.Up => "up",
        BackendStatus.Down => "down",
        _ => "waiting",
    };

    /// <summary>A saved status: down stays down, anything else means the node may be used (up).</summary>
    public static BackendStatus Parse(string name) =>
        string.Equals(name, "down", StringComparison.OrdinalIgnoreCase) ? BackendStatus.Down : BackendStatus.Up;
}
