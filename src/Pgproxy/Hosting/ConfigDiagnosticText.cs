using Pgproxy.Core.Config;

namespace Pgproxy.Hosting;

/// <summary>Formats a diagnostic only when the log line is actually written.</summary>
internal readonly record struct ConfigDiagnosticText(ConfigDiagnostic Diagnostic)
{
    public override string ToString() => Diagnostic.ToString();
}
