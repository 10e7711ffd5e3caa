namespace Pgproxy.Core.Tests.Config;

/// <summary>Finds the checkout so tests can read the sample files that ship with it.</summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    public static string File(string relative) => System.IO.Path.Combine(Path, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Pgproxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pgproxy.sln not found above " + AppContext.BaseDirectory);
    }
}
