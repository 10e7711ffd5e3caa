using System.Globalization;

namespace Pgproxy.Core.Config;

/// <summary>
/// One configuration key pgproxy knows: its pgpool name, default, context, how its text is parsed and how a parsed
/// value lands in <see cref="ProxyOptions"/> (or, for indexed backend keys, in a <see cref="BackendConfig"/>).
/// The registry is the single source of truth for the loader, the reload diff, the sample file test and
/// <c>SHOW POOL_STATUS</c>.
/// </summary>
public sealed class ConfigKey
{
    private readonly Func<ProxyOptions, object, ProxyOptions>? _apply;
    private readonly Func<ProxyOptions, string>? _get;
    private readonly Func<BackendConfig, object, BackendConfig>? _applyBackend;
    private readonly Func<BackendConfig, string>? _getBackend;
    private readonly Func<string, string?>? _validate;

    internal ConfigKey(
        string name,
        string section,
        ConfigContext context,
        ConfigValueKind kind,
        string description,
        Func<ProxyOptions, object, ProxyOptions>? apply,
        Func<ProxyOptions, string>? get,
        Func<BackendConfig, object, BackendConfig>? applyBackend = null,
        Func<BackendConfig, string>? getBackend = null,
        long min = 0,
        long max = 0,
        IReadOnlyList<string>? allowedValues = null,
        Func<string, string?>? validate = null)
    {
        Name = name;
        Section = section;
        Context = context;
        Kind = kind;
        Description = description;
        _apply = apply;
        _get = get;
        _applyBackend = applyBackend;
        _getBackend = getBackend;
        Min = min;
        Max = max;
        AllowedValues = allowedValues ?? [];
        _validate = validate;
        IsIndexed = applyBackend is not null;
        // Defaults come from the records themselves so the registry cannot disagree with ProxyOptions.
        Default = IsIndexed
            ? getBackend!(new BackendConfig { NodeId = 0, Hostname = "" })
            : get!(new ProxyOptions());
    }

    /// <summary>The pgpool name; for indexed keys the prefix without the node id (<c>backend_hostname</c>).</summary>
    public string Name { get; }

    /// <summary>The sample file section the key is documented in (e.g. <c>CONNECTIONS</c>).</summary>
    public string Section { get; }

    /// <summary>The default as written in <c>pgproxy.conf.sample</c>, without quotes.</summary>
    public string Default { get; }

    public ConfigContext Context { get; }

    public ConfigValueKind Kind { get; }

    public string Description { get; }

    /// <summary>Inclusive bounds for <see cref="ConfigValueKind.WholeNumber"/>.</summary>
    public long Min { get; }

    public long Max { get; }

    /// <summary>Accepted spellings for <see cref="ConfigValueKind.Enum"/> (and the parts of <c>backend_flag</c>).</summary>
    public IReadOnlyList<string> AllowedValues { get; }

    /// <summary>True for <c>backend_*N</c> keys, which carry a node id suffix 0..127.</summary>
    public bool IsIndexed { get; }

    /// <summary>The full key name for node <paramref name="nodeId"/>, or <see cref="Name"/> for plain keys.</summary>
    public string NameFor(int nodeId) => IsIndexed ? Name + nodeId.ToString(CultureInfo.InvariantCulture) : Name;

    /// <summary>Parses and checks <paramref name="text"/>; the value is an int, bool, double or string.</summary>
    public bool TryParse(string text, out object value, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = text;
        error = "";
        if (_validate?.Invoke(text) is { } rejected)
        {
            error = rejected;
            return false;
        }

        switch (Kind)
        {
            case ConfigValueKind.WholeNumber:
                if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                {
                    error = $"invalid integer \"{text}\": expected a whole number between {Min} and {Max}";
                    return false;
                }

                if (n < Min || n > Max)
                {
                    error = $"value {n} is out of range: expected a whole number between {Min} and {Max}";
                    return false;
                }

                value = (int)n;
                return true;
            case ConfigValueKind.Boolean:
                if (!ConfigValueParser.TryParseBool(text, out var b))
                {
                    error = $"invalid boolean \"{text}\": allowed values are on, off, true, false, yes, no, 1, 0";
                    return false;
                }

                value = b;
                return true;
            case ConfigValueKind.Real:
                if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    || !double.IsFinite(d) || d < 0)
                {
                    error = $"invalid number \"{text}\": expected a number greater than or equal to 0";
                    return false;
                }

                value = d;
                return true;
            case ConfigValueKind.Enum:
                foreach (var allowed in AllowedValues)
                {
                    if (string.Equals(allowed, text.Trim(), StringComparison.OrdinalIgnoreCase))
                    {
                        value = allowed;
                        return true;
                    }
                }

                error = $"invalid value \"{text}\": allowed values are {string.Join(", ", AllowedValues)}";
                return false;
            default:
                return true;
        }
    }

    /// <summary>Returns <paramref name="options"/> with this key set to a value from <see cref="TryParse"/>.</summary>
    public ProxyOptions Apply(ProxyOptions options, object value) =>
        _apply is null ? throw new InvalidOperationException($"{Name} is a backend key") : _apply(options, value);

    /// <summary>The current value in configuration-file form (booleans as on/off, lists joined).</summary>
    public string GetValue(ProxyOptions options) =>
        _get is null ? throw new InvalidOperationException($"{Name} is a backend key") : _get(options);

    /// <summary>Returns <paramref name="backend"/> with this indexed key set.</summary>
    public BackendConfig ApplyToBackend(BackendConfig backend, object value) =>
        _applyBackend is null ? throw new InvalidOperationException($"{Name} is not a backend key")
            : _applyBackend(backend, value);

    public string GetBackendValue(BackendConfig backend) =>
        _getBackend is null ? throw new InvalidOperationException($"{Name} is not a backend key")
            : _getBackend(backend);

    /// <summary>The default as a sample-file literal: strings and paths quoted, numbers and booleans bare.</summary>
    public string DefaultLiteral => Kind is ConfigValueKind.WholeNumber or ConfigValueKind.Boolean or ConfigValueKind.Real
        ? Default
        : "'" + Default.Replace("'", "''", StringComparison.Ordinal) + "'";

    public override string ToString() => IsIndexed ? Name + "N" : Name;
}
