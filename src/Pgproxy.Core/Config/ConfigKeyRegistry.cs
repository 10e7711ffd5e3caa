using System.Globalization;

namespace Pgproxy.Core.Config;

/// <summary>
/// Every key pgproxy knows, in sample-file order. Names, defaults and contexts follow pgpool-II; the defaults are
/// read from <see cref="ProxyOptions"/> and <see cref="BackendConfig"/>.
/// </summary>
public static partial class ConfigKeyRegistry
{
    /// <summary>Backend node ids run 0..MaxBackends-1, as in pgpool (MAX_NUM_BACKENDS).</summary>
    public const int MaxBackends = 128;

    private static readonly Dictionary<string, ConfigKey> ByName;

    static ConfigKeyRegistry()
    {
        All =
        [
            .. ConnectionKeys(),
            .. PoolKeys(),
            .. ClusteringModeKeys(),
            .. LoadBalancingKeys(),
            .. ReplicationKeys(),
            .. ConsistencyCheckKeys(),
            .. HealthCheckKeys(),
            .. FailoverKeys(),
            .. AuthenticationKeys(),
            .. SslKeys(),
            .. LogKeys(),
            .. FileKeys(),
            .. AdminKeys(),
            .. SystemDbKeys(),
            .. BackendKeys(),
        ];

        ByName = new Dictionary<string, ConfigKey>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in All)
        {
            ByName.Add(key.Name, key);
        }
    }

    /// <summary>All keys; indexed backend keys appear once, named without the node id.</summary>
    public static IReadOnlyList<ConfigKey> All { get; }

    /// <summary>
    /// Finds the key for a name as written in a file. For <c>backend_portN</c> returns the indexed key and N;
    /// for plain keys <paramref name="nodeId"/> is -1. A backend key with a node id outside 0..127 is not found
    /// and <paramref name="nodeId"/> is set to the out-of-range id so the caller can say so.
    /// </summary>
    public static bool TryFind(string name, out ConfigKey key, out int nodeId)
    {
        ArgumentNullException.ThrowIfNull(name);
        nodeId = -1;
        if (ByName.TryGetValue(name, out var plain) && !plain.IsIndexed)
        {
            key = plain;
            return true;
        }

        var digits = name.Length;
        while (digits > 0 && char.IsAsciiDigit(name[digits - 1]))
        {
            digits--;
        }

        if (digits < name.Length && digits > 0
            && ByName.TryGetValue(name[..digits], out var indexed) && indexed.IsIndexed)
        {
            var suffix = name[digits..];
            // "backend_port01" would silently alias node 1; pgpool rejects it too.
            var canonical = suffix.Length == 1 || suffix[0] != '0';
            if (canonical && int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                nodeId = id;
                if (id < MaxBackends)
                {
                    key = indexed;
                    return true;
                }
            }
        }

        key = null!;
        return false;
    }

    /// <summary>The key with exactly this name (indexed keys by prefix, e.g. <c>backend_port</c>), or null.</summary>
    public static ConfigKey? Find(string name) => ByName.GetValueOrDefault(name);

    private static List<string> SplitQueries(string value) =>
        [.. value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static string? ValidateFlag(string value)
    {
        var parts = value.Split('|', StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            if (!BackendFlags.Contains(part, StringComparer.OrdinalIgnoreCase))
            {
                return $"invalid value \"{value}\": allowed values are {string.Join(", ", BackendFlags)}, "
                    + "combined with '|'";
            }
        }

        if (parts.Contains("ALLOW_TO_FAILOVER", StringComparer.OrdinalIgnoreCase)
            && parts.Contains("DISALLOW_TO_FAILOVER", StringComparer.OrdinalIgnoreCase))
        {
            return $"invalid value \"{value}\": ALLOW_TO_FAILOVER and DISALLOW_TO_FAILOVER exclude each other";
        }

        return null;
    }

    private static string NormalizeFlag(string value) =>
        string.Join('|', value.Split('|', StringSplitOptions.TrimEntries).Select(p => p.ToUpperInvariant()));

    private static ConfigKey Int(string name, string section, ConfigContext context, long min, long max,
        Func<ProxyOptions, int> get, Func<ProxyOptions, int, ProxyOptions> set, string description) =>
        new(name, section, context, ConfigValueKind.WholeNumber, description, (o, v) => set(o, (int)v),
            o => ConfigValueParser.FormatInt(get(o)), min: min, max: max);

    private static ConfigKey Bool(string name, string section, ConfigContext context,
        Func<ProxyOptions, bool> get, Func<ProxyOptions, bool, ProxyOptions> set, string description) =>
        new(name, section, context, ConfigValueKind.Boolean, description, (o, v) => set(o, (bool)v),
            o => ConfigValueParser.FormatBool(get(o)));

    private static ConfigKey Str(string name, string section, ConfigContext context,
        Func<ProxyOptions, string> get, Func<ProxyOptions, string, ProxyOptions> set, string description) =>
        new(name, section, context, ConfigValueKind.Text, description, (o, v) => set(o, (string)v), get);

    private static ConfigKey PathKey(string name, string section, ConfigContext context,
        Func<ProxyOptions, string> get, Func<ProxyOptions, string, ProxyOptions> set, string description) =>
        new(name, section, context, ConfigValueKind.Path, description, (o, v) => set(o, (string)v), get);

    private static ConfigKey Backend(string name, ConfigContext context, ConfigValueKind kind,
        Func<BackendConfig, string> get, Func<BackendConfig, object, BackendConfig> set, string description,
        long min = 0, long max = 0, Func<string, string?>? validate = null, IReadOnlyList<string>? allowed = null) =>
        new(name, Backends, context, kind, description, null, null, set, get, min, max, allowed, validate);
}
