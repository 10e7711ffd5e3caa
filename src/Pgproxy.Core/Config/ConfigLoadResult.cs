namespace Pgproxy.Core.Config;

/// <summary>The outcome of <see cref="ConfigLoader"/>: the options when valid, and every problem found.</summary>
public sealed class ConfigLoadResult
{
    internal ConfigLoadResult(
        ProxyOptions? options, IReadOnlyList<ConfigDiagnostic> errors, IReadOnlyList<ConfigDiagnostic> warnings)
    {
        Options = options;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The validated options; null whenever <see cref="Errors"/> is not empty.</summary>
    public ProxyOptions? Options { get; }

    public IReadOnlyList<ConfigDiagnostic> Errors { get; }

    /// <summary>Unknown keys, duplicates and other things that do not stop the proxy.</summary>
    public IReadOnlyList<ConfigDiagnostic> Warnings { get; }

    public bool Succeeded => Errors.Count == 0;
}
