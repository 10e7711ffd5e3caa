using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pgproxy.Core.Config;

/// <summary>
/// Reads the YAML form: a top-level mapping of the pgpool keys to scalars, plus an optional <c>backends:</c>
/// sequence whose item index is the node id. It yields the same entries as the pgpool parser, so validation is
/// shared.
/// </summary>
internal static class YamlConfigParser
{
    private static readonly Dictionary<string, string> BackendFields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hostname"] = "backend_hostname",
        ["port"] = "backend_port",
        ["weight"] = "backend_weight",
        ["flag"] = "backend_flag",
        ["data_directory"] = "backend_data_directory",
    };

    /// <summary>Returns null when the document cannot be read at all (syntax error, not a mapping).</summary>
    public static List<ConfigEntry>? Parse(
        string text, string file, List<ConfigDiagnostic> errors, List<ConfigDiagnostic> warnings)
    {
        var entries = new List<ConfigEntry>();
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            errors.Add(new ConfigDiagnostic(file, LineOf(ex.Start), "", "YAML syntax error: " + Inner(ex).Message));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16 throws this instead of a YamlException for some unterminated flow collections at the
            // end of input; the last event the parser produced is the closest position we have.
            var line = parser.Current is { } current ? LineOf(current.End) : 0;
            errors.Add(new ConfigDiagnostic(file, line, "", "YAML syntax error: unexpected end of input "
                + "(an unterminated [ ] or { } collection?)"));
            return null;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return entries;
        }

        if (stream.Documents.Count > 1)
        {
            warnings.Add(new ConfigDiagnostic(file, LineOf(stream.Documents[1].RootNode.Start), "",
                "only the first YAML document is read"));
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(new ConfigDiagnostic(file, LineOf(stream.Documents[0].RootNode.Start), "",
                "the YAML document must be a mapping of configuration keys to values"));
            return null;
        }

        foreach (var (keyNode, valueNode) in root.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                errors.Add(new ConfigDiagnostic(file, LineOf(keyNode.Start), "", "a key must be a plain name"));
                continue;
            }

            key = key.ToLowerInvariant();
            if (key == "backends")
            {
                ReadBackends(valueNode, file, entries, errors, warnings);
            }
            else if (valueNode is YamlScalarNode scalar)
            {
                entries.Add(new ConfigEntry(key, ScalarText(scalar), LineOf(scalar.Start)));
            }
            else
            {
                errors.Add(new ConfigDiagnostic(file, LineOf(valueNode.Start), key,
                    "expected a single value, not a list or mapping"));
            }
        }

        return entries;
    }

    private static void ReadBackends(YamlNode node, string file, List<ConfigEntry> entries,
        List<ConfigDiagnostic> errors, List<ConfigDiagnostic> warnings)
    {
        if (node is not YamlSequenceNode sequence)
        {
            errors.Add(new ConfigDiagnostic(file, LineOf(node.Start), "backends",
                "expected a list of backends (each with hostname, port, weight, flag, data_directory)"));
            return;
        }

        for (var id = 0; id < sequence.Children.Count; id++)
        {
            var item = sequence.Children[id];
            if (item is not YamlMappingNode mapping)
            {
                errors.Add(new ConfigDiagnostic(file, LineOf(item.Start), "backends",
                    $"backend {id} must be a mapping with hostname, port, weight, flag, data_directory"));
                continue;
            }

            foreach (var (fieldNode, valueNode) in mapping.Children)
            {
                var field = (fieldNode as YamlScalarNode)?.Value ?? "";
                if (!BackendFields.TryGetValue(field, out var prefix))
                {
                    warnings.Add(new ConfigDiagnostic(file, LineOf(fieldNode.Start), "backends",
                        $"unknown backend field \"{field}\" ignored; known: {string.Join(", ", BackendFields.Keys)}"));
                    continue;
                }

                var key = prefix + id.ToString(CultureInfo.InvariantCulture);
                if (valueNode is YamlScalarNode scalar)
                {
                    entries.Add(new ConfigEntry(key, ScalarText(scalar), LineOf(scalar.Start)));
                }
                else
                {
                    errors.Add(new ConfigDiagnostic(file, LineOf(valueNode.Start), key,
                        "expected a single value, not a list or mapping"));
                }
            }
        }
    }

    /// <summary>A plain <c>~</c>, <c>null</c> or nothing means empty, matching <c>key = ''</c>.</summary>
    private static string ScalarText(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is null or "~" or "null" or "Null" or "NULL"
            ? ""
            : scalar.Value ?? "";

    private static int LineOf(Mark mark) => (int)mark.Line;

    /// <summary>YamlDotNet wraps the useful message (e.g. a duplicate key) in an inner exception.</summary>
    private static Exception Inner(YamlException ex) => ex.InnerException ?? ex;
}
