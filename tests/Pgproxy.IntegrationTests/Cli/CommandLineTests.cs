using System.Text.RegularExpressions;
using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Cli;

/// <summary>The executable's answers that need no PostgreSQL.</summary>
public sealed partial class CommandLineTests
{
    [Fact]
    public async Task Version_PrintsNameAndVersionAndExitsZero()
    {
        var result = await PgproxyCli.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(VersionLine(), result.StdOut);
    }

    [Fact]
    public async Task Start_ConfigWithTwoBadValuesAndUnknownKey_ExitsNonZeroNamingEveryError()
    {
        var folder = Directory.CreateTempSubdirectory("pgproxy-badconf-");
        try
        {
            var conf = Path.Combine(folder.FullName, "pgproxy.conf");
            await File.WriteAllTextAsync(conf, string.Join('\n',
                "# line 1: a comment",
                "backend_hostname0 = '127.0.0.1'",
                "port = 'not a number'",
                "no_such_setting = 1",
                "num_init_children = -3",
                "pid_file_name = 'pgproxy.pid'",
                ""));

            var result = await PgproxyCli.RunAsync("-n", "-f", conf);

            Assert.NotEqual(0, result.ExitCode);
            Assert.False(result.TimedOut);
            Assert.Contains($"{conf}:3: port:", result.StdErr, StringComparison.Ordinal);
            Assert.Contains($"{conf}:5: num_init_children:", result.StdErr, StringComparison.Ordinal);
            Assert.Contains($"{conf}:4: no_such_setting:", result.StdErr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(folder.FullName, "pgproxy.pid")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"^pgproxy \d+\.\d+(\.\d+)?\S*\n$")]
    private static partial Regex VersionLine();
}
