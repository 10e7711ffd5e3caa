using System.Globalization;

namespace Pgproxy.Core.Config;

/// <summary>
/// Loads pgproxy.conf (pgpool syntax) or its YAML form into <see cref="ProxyOptions"/>, reporting every error at
/// once with file, line and key. Unknown keys only warn, because pgpool users bring long pgpool.conf files.
/// </summary>
public static class ConfigLoader
{
    /// <summary>
    /// Reads <paramref name="path"/>; <c>.yaml</c>/<c>.yml</c> selects YAML. <paramref name="hbaPathOverride"/> is
    /// the <c>-a</c> option; without it pool_hba.conf is looked for next to the configuration file.
    /// <paramref name="keyFileOverride"/> is the <c>-k</c> option, which wins over <c>pool_key</c>.
    /// </summary>
    public static ConfigLoadResult Load(string path, string? hbaPathOverride = null, string? keyFileOverride = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException
                                       or NotSupportedException)
        {
            return new ConfigLoadResult(null,
                [new ConfigDiagnostic(path, 0, "", $"could not open configuration file: {ex.Message}")], []);
        }

        var result = Build(text, path, IsYamlPath(path), hbaPathOverride);
        return keyFileOverride is null || result.Options is null
            ? result
            : new ConfigLoadResult(result.Options with { PoolKey = Path.GetFullPath(keyFileOverride) }, result.Errors,
                result.Warnings);
    }

    /// <summary>Parses text as if read from <paramref name="virtualPath"/> (for tests and reload checks).</summary>
    public static ConfigLoadResult LoadFromText(string text, string virtualPath, bool yaml)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(virtualPath);
        return Build(text, virtualPath, yaml, null);
    }

    internal static bool IsYamlPath(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    internal static ConfigLoadResult Build(string text, string file, bool yaml, string? hbaPathOverride)
    {
        var errors = new List<ConfigDiagnostic>();
        var warnings = new List<ConfigDiagnostic>();
        var entries = yaml
            ? YamlConfigParser.Parse(text, file, errors, warnings)
            : PgpoolConfigParser.Parse(text, file, errors);
        if (entries is null)
        {
            // The document itself was unreadable: further complaints (no backend...) would only be noise.
            return new ConfigLoadResult(null, errors, warnings);
        }

        var options = new ProxyOptions();
        var lineOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var backends = new SortedDictionary<int, BackendConfig>();
        // node id -> (full key name, line) of every backend key seen, to report keys that lack a hostname.
        var backendKeys = new Dictionary<int, List<(string Key, int Line)>>();

        foreach (var entry in entries)
        {
            if (lineOfKey.TryGetValue(entry.Key, out var previousLine))
            {
                warnings.Add(new ConfigDiagnostic(file, entry.Line, entry.Key,
                    $"duplicate key (also set on line {previousLine}); the last value wins"));
            }

            lineOfKey[entry.Key] = entry.Line;
            if (!ConfigKeyRegistry.TryFind(entry.Key, out var key, out var nodeId))
            {
                if (nodeId >= ConfigKeyRegistry.MaxBackends)
                {
                    errors.Add(new ConfigDiagnostic(file, entry.Line, entry.Key,
                        $"backend node id {nodeId} is out of range: expected 0 to {ConfigKeyRegistry.MaxBackends - 1}"));
                }
                else
                {
                    warnings.Add(new ConfigDiagnostic(file, entry.Line, entry.Key,
                        "unknown configuration key ignored (not a pgproxy setting)"));
                }

                continue;
            }

            if (!key.TryParse(entry.Value, out var value, out var error))
            {
                errors.Add(new ConfigDiagnostic(file, entry.Line, entry.Key, error));
                continue;
            }

            if (key.IsIndexed)
            {
                var backend = backends.GetValueOrDefault(nodeId) ?? new BackendConfig { NodeId = nodeId, Hostname = "" };
                backends[nodeId] = key.ApplyToBackend(backend, value);
                if (!backendKeys.TryGetValue(nodeId, out var seen))
                {
                    backendKeys[nodeId] = seen = [];
                }

                seen.Add((entry.Key, entry.Line));
            }
            else
            {
                options = key.Apply(options, value);
            }
        }

        var valid = ValidateBackends(file, backends, backendKeys, lineOfKey, errors);
        ValidateAcrossKeys(file, options, lineOfKey, errors);

        options = ResolvePaths(options, file, hbaPathOverride) with { Backends = valid };
        var sorted = errors.OrderBy(e => e.Line).ToList();
        return new ConfigLoadResult(sorted.Count == 0 ? options : null, sorted, warnings.OrderBy(w => w.Line).ToList());
    }

    private static List<BackendConfig> ValidateBackends(string file, SortedDictionary<int, BackendConfig> backends,
        Dictionary<int, List<(string Key, int Line)>> backendKeys, Dictionary<string, int> lineOfKey,
        List<ConfigDiagnostic> errors)
    {
        var valid = new List<BackendConfig>();
        foreach (var (id, backend) in backends)
        {
            var hostnameKey = "backend_hostname" + id.ToString(CultureInfo.InvariantCulture);
            if (!lineOfKey.TryGetValue(hostnameKey, out var hostLine)
                || !backendKeys[id].Exists(k => k.Key == hostnameKey))
            {
                foreach (var (key, line) in backendKeys[id])
                {
                    errors.Add(new ConfigDiagnostic(file, line, key, $"{key} given without {hostnameKey}"));
                }

                continue;
            }

            if (string.IsNullOrWhiteSpace(backend.Hostname))
            {
                errors.Add(new ConfigDiagnostic(file, hostLine, hostnameKey, "backend host name must not be empty"));
                continue;
            }

            // The same server twice would apply every write twice to one database.
            var twin = valid.Find(b => string.Equals(b.Hostname, backend.Hostname, StringComparison.OrdinalIgnoreCase)
                                       && b.Port == backend.Port);
            if (twin is not null)
            {
                errors.Add(new ConfigDiagnostic(file, hostLine, hostnameKey,
                    $"node {id} ({backend.Hostname}:{backend.Port}) is the same server as node {twin.NodeId}"));
            }

            valid.Add(backend);
        }

        // A bad backend_hostname0 line has already been reported; "not set" would only repeat it.
        if (!backendKeys.ContainsKey(0) && !errors.Exists(e => e.Key == "backend_hostname0"))
        {
            errors.Add(new ConfigDiagnostic(file, 0, "backend_hostname0",
                "at least one backend is required: backend_hostname0 is not set"));
        }

        return valid;
    }

    private static void ValidateAcrossKeys(
        string file, ProxyOptions options, Dictionary<string, int> lineOfKey, List<ConfigDiagnostic> errors)
    {
        if (options.ReservedConnections >= options.NumInitChildren)
        {
            var key = lineOfKey.ContainsKey("reserved_connections") ? "reserved_connections" : "num_init_children";
            errors.Add(new ConfigDiagnostic(file, lineOfKey.GetValueOrDefault(key), key,
                $"reserved_connections ({options.ReservedConnections}) must be less than num_init_children "
                + $"({options.NumInitChildren})"));
        }
    }

    private static ProxyOptions ResolvePaths(ProxyOptions options, string file, string? hbaPathOverride)
    {
        var configPath = Path.GetFullPath(file);
        var folder = Path.GetDirectoryName(configPath) ?? Directory.GetCurrentDirectory();
        foreach (var key in ConfigKeyRegistry.All)
        {
            if (key.Kind != ConfigValueKind.Path)
            {
                continue;
            }

            var value = key.GetValue(options);
            if (value.Length > 0 && !Path.IsPathRooted(value))
            {
                options = key.Apply(options, Path.GetFullPath(Path.Combine(folder, value)));
            }
        }

        return options with
        {
            ConfigFilePath = configPath,
            HbaFilePath = hbaPathOverride is null
                ? Path.Combine(folder, "pool_hba.conf")
                : Path.GetFullPath(hbaPathOverride),
        };
    }
}
