namespace Pgproxy.Core.Tests.Architecture;

/// <summary>
/// The shape DEVELOPERS.md asks of every source file under src: one type's worth (at most 400 lines), and no run
/// of blank lines where code was cut out (WritePath.cs had twelve, left by methods moved to its partial files).
/// Read from the source, so it fails on the commit that breaks it, naming the file and line.
/// </summary>
public sealed class SourceFileShapeTests
{
    private const int MaxLines = 400;

    private static readonly Lazy<List<string>> Files = new(ReadSourceFiles);

    [Fact]
    public void SourceFiles_StayWithinTheirLength()
    {
        var tooLong = Files.Value
            .Select(path => (Path: path, Lines: File.ReadAllLines(path).Length))
            .Where(file => file.Lines > MaxLines)
            .Select(file => $"{Relative(file.Path)} ({file.Lines} lines)")
            .ToList();

        Assert.True(tooLong.Count == 0, $"more than {MaxLines} lines: " + string.Join(", ", tooLong));
    }

    [Fact]
    public void SourceFiles_HaveNoRunOfBlankLines()
    {
        var runs = new List<string>();
        foreach (var path in Files.Value)
        {
            var lines = File.ReadAllLines(path);
            for (var i = 1; i < lines.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(lines[i]) && string.IsNullOrWhiteSpace(lines[i - 1]))
                {
                    runs.Add($"{Relative(path)}:{i + 1}");
                }
            }
        }

        Assert.True(runs.Count == 0, "two blank lines in a row at " + string.Join(", ", runs));
    }

    [Fact]
    public void Reading_FindsTheSources()
    {
        // Guards the reading itself: no files found would pass both checks above.
        var writePath = Path.Combine("Replication", "WritePath.cs");
        var buildOutput = Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar;
        Assert.Contains(Files.Value, path => path.EndsWith(writePath, StringComparison.Ordinal));
        Assert.Contains(Files.Value, path => path.EndsWith("Program.cs", StringComparison.Ordinal));
        Assert.DoesNotContain(Files.Value, path => path.Contains(buildOutput, StringComparison.Ordinal));
    }

    private static string Relative(string path) => Path.GetRelativePath(Root(), path);

    private static List<string> ReadSourceFiles()
    {
        var src = Path.Combine(Root(), "src");
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(Path.GetRelativePath(src, path)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

    private static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null;
             directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pgproxy.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("no Pgproxy.sln above " + AppContext.BaseDirectory);
    }
}
