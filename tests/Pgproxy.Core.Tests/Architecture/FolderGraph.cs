using System.Text.RegularExpressions;

namespace Pgproxy.Core.Tests.Architecture;

/// <summary>
/// Which folders of src/Pgproxy.Core each folder uses, read from the source text: a folder uses another when one of
/// its files names <c>Pgproxy.Core.Other</c> (a using directive, a using alias or static, a fully qualified name) or
/// writes <c>Other.SomeType</c> for a type declared at the top of a file in Other (a name qualified relative to
/// <c>Pgproxy.Core</c>, which needs no using and would otherwise go unseen). Each edge keeps the first file that
/// made it, so that a failure can say where to look.
/// </summary>
internal sealed partial class FolderGraph
{
    private readonly Dictionary<string, SortedDictionary<string, string>> _edges = [];

    private FolderGraph(IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            _edges[folder] = new SortedDictionary<string, string>(StringComparer.Ordinal);
        }
    }

    public IReadOnlyCollection<string> Folders => _edges.Keys;

    /// <summary>The folders <paramref name="folder"/> uses, each with a file of it that uses it.</summary>
    public IReadOnlyDictionary<string, string> EdgesFrom(string folder) => _edges[folder];

    public bool HasEdge(string from, string to) => _edges.TryGetValue(from, out var edges) && edges.ContainsKey(to);

    /// <summary>Reads the graph of the project at <paramref name="coreDirectory"/> (src/Pgproxy.Core).</summary>
    public static FolderGraph Read(string coreDirectory)
    {
        var files = Directory.GetDirectories(coreDirectory)
            .Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj"))
            .SelectMany(folder => Directory
                .GetFiles(Path.Combine(coreDirectory, folder!), "*.cs", SearchOption.AllDirectories)
                .Select(path => (Folder: folder!, Path: path, Text: File.ReadAllText(path))))
            .ToList();
        var graph = new FolderGraph(files.Select(f => f.Folder).Distinct());
        var declaredIn = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (Match match in TopLevelType().Matches(file.Text))
            {
                declaredIn.TryAdd(file.Folder, []);
                declaredIn[file.Folder].Add(match.Groups["name"].Value);
            }
        }

        foreach (var file in files)
        {
            foreach (var used in UsedFolders(file.Text, graph.Folders, declaredIn))
            {
                if (used != file.Folder)
                {
                    graph._edges[file.Folder].TryAdd(used,
                        Path.GetRelativePath(coreDirectory, file.Path).Replace('\\', '/'));
                }
            }
        }

        return graph;
    }

    /// <summary>Builds a graph from edges given by hand (to test the cycle search itself).</summary>
    public static FolderGraph FromEdges(params (string From, string To)[] edges)
    {
        var graph = new FolderGraph(edges.SelectMany(e => new[] { e.From, e.To }).Distinct());
        foreach (var (from, to) in edges)
        {
            graph._edges[from].TryAdd(to, "(given)");
        }

        return graph;
    }

    /// <summary>
    /// A cycle among the edges not in <paramref name="ignored"/>, as the folders along it with the first repeated at
    /// the end (A, B, A); null when there is none.
    /// </summary>
    public IReadOnlyList<string>? FindCycle(IReadOnlySet<(string From, string To)> ignored)
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        var path = new List<string>();
        foreach (var start in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!state.ContainsKey(start) && Visit(start, ignored, state, path) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    private List<string>? Visit(string folder, IReadOnlySet<(string, string)> ignored, Dictionary<string, bool> state,
        List<string> path)
    {
        state[folder] = false;
        path.Add(folder);
        foreach (var next in _edges[folder].Keys.Where(to => !ignored.Contains((folder, to))))
        {
            if (!state.TryGetValue(next, out var done))
            {
                if (Visit(next, ignored, state, path) is { } cycle)
                {
                    return cycle;
                }
            }
            else if (!done)
            {
                return [.. path.Skip(path.IndexOf(next)), next];
            }
        }

        path.RemoveAt(path.Count - 1);
        state[folder] = true;
        return null;
    }

    /// <summary>Writes a path of folders as "A -> B (A/File.cs) -> ...", naming a file behind each edge.</summary>
    public string Describe(IReadOnlyList<string> folders) =>
        folders[0] + string.Concat(folders.Zip(folders.Skip(1))
            .Select(edge => $" -> {edge.Second} ({_edges[edge.First][edge.Second]})"));

    private static IEnumerable<string> UsedFolders(string text, IReadOnlyCollection<string> folders,
        Dictionary<string, HashSet<string>> declaredIn)
    {
        foreach (var line in text.Split('\n'))
        {
            var code = line.TrimStart();
            if (code.StartsWith("namespace ", StringComparison.Ordinal)
                || (code.StartsWith("//", StringComparison.Ordinal)
                    && !code.StartsWith("///", StringComparison.Ordinal)))
            {
                continue; // its own namespace, or a plain comment (a doc comment's cref is a real reference)
            }

            foreach (Match match in QualifiedName().Matches(code))
            {
                var folder = match.Groups["folder"].Value;
                var declared = declaredIn.TryGetValue(folder, out var types)
                               && types.Contains(match.Groups["type"].Value);
                if (folders.Contains(folder) && (match.Groups["core"].Success || declared))
                {
                    yield return folder;
                }
            }
        }
    }

    // A type declared at the start of a line: at the top of a file-scoped namespace, so not a nested type.
    [GeneratedRegex(@"^(?:(?:public|internal|file|static|sealed|abstract|readonly|partial|ref)\s+)*"
                    + @"(?:class|record|struct|interface|enum)\s+(?:(?:struct|class)\s+)?(?<name>[A-Z]\w*)",
        RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    // Pgproxy.Core.Folder (anything after it), or Folder.Type not preceded by a dot or a word (so not x.Folder.Type).
    [GeneratedRegex(@"(?<core>\bPgproxy\.Core\.)(?<folder>[A-Z]\w*)|(?<![\w.])(?<folder>[A-Z]\w*)\.(?<type>[A-Z]\w*)")]
    private static partial Regex QualifiedName();
}
