using System.Globalization;

namespace Pgproxy.Core.Config;

/// <summary>What a reload cannot apply: keys of <see cref="ConfigContext.Restart"/> context whose value changed.</summary>
public static class ConfigDiff
{
    /// <summary>
    /// Names of restart-only keys that differ, in registry order. Backends compare per node id on hostname, port
    /// and data directory; a node that appears or disappears counts as a change of its hostname.
    /// </summary>
    public static IReadOnlyList<string> RestartRequiredChanges(ProxyOptions old, ProxyOptions @new)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(@new);
        var changed = new List<string>();
        foreach (var key in ConfigKeyRegistry.All)
        {
            if (key.Context == ConfigContext.Restart && !key.IsIndexed
                && !string.Equals(key.GetValue(old), key.GetValue(@new), StringComparison.Ordinal))
            {
                changed.Add(key.Name);
            }
        }

        var ids = old.Backends.Select(b => b.NodeId).Union(@new.Backends.Select(b => b.NodeId)).Order();
        foreach (var id in ids)
        {
            var before = old.Backends.FirstOrDefault(b => b.NodeId == id);
            var after = @new.Backends.FirstOrDefault(b => b.NodeId == id);
            if (before is null || after is null)
            {
                changed.Add("backend_hostname" + id.ToString(CultureInfo.InvariantCulture));
                continue;
            }

            foreach (var key in ConfigKeyRegistry.All)
            {
                if (key.Context != ConfigContext.Restart || !key.IsIndexed)
                {
                    continue;
                }

                if (!string.Equals(key.GetBackendValue(before), key.GetBackendValue(after), StringComparison.Ordinal))
                {
                    changed.Add(key.NameFor(id));
                }
            }
        }

        return changed;
    }
}
