namespace Pgproxy.Core.Config;

/// <summary>
/// One problem found while loading a configuration. <paramref name="Line"/> is 1-based, 0 when the problem is not
/// tied to a line (missing file, missing required key). <paramref name="Key"/> is empty for pure syntax errors.
/// </summary>
public sealed record ConfigDiagnostic(string File, int Line, string Key, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Key}: {Message}";
}
