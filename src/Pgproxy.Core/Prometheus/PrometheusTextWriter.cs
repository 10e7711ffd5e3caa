using System.Globalization;
using System.Text;

namespace Pgproxy.Core.Prometheus;

/// <summary>
/// Prometheus' text exposition format 0.0.4: a <c># HELP</c> and <c># TYPE</c> line per metric family, then one
/// line per sample, <c>name{label="value",…} number</c>, label values and help text escaped as the format says.
/// </summary>
internal sealed class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    /// <summary>Starts a metric family; <paramref name="type"/>: counter, gauge, summary, histogram, untyped.</summary>
    public PrometheusTextWriter Family(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '\n' => _text.Append(@"\n"),
                _ => _text.Append(c),
            };
        }

        _text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    public PrometheusTextWriter Sample(string name, long value, params (string Name, string Value)[] labels)
    {
        AppendName(name, labels);
        _text.Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    public PrometheusTextWriter Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        AppendName(name, labels);
        _text.Append(Format(value)).Append('\n');
        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>A sample value: shortest round-trip form, and NaN/+Inf/-Inf as the format spells them.</summary>
    public static string Format(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private void AppendName(string name, (string Name, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                _text.Append(labels[i].Name).Append("=\"");
                foreach (var c in labels[i].Value)
                {
                    _ = c switch
                    {
                        '\\' => _text.Append(@"\\"),
                        '"' => _text.Append("\\\""),
                        '\n' => _text.Append(@"\n"),
                        _ => _text.Append(c),
                    };
                }

                _text.Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ');
    }
}
