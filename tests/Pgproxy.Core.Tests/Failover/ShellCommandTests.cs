using Pgproxy.Core.Failover;

namespace Pgproxy.Core.Tests.Failover;

public sealed class ShellCommandTests
{
    [Fact]
    public async Task RunAsync_CapturesExitCodeStdoutAndStderr()
    {
        var result = await ShellCommand.RunAsync("echo out; echo err >&2; exit 3", TimeSpan.FromSeconds(30),
            CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.Equal("out", result.StdOut);
        Assert.Equal("err", result.StdErr);
    }

    [Fact]
    public async Task RunAsync_StdinIsClosed_CommandReadingItDoesNotHang()
    {
        var result = await ShellCommand.RunAsync("cat; echo done", TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal("done", result.StdOut);
    }

    [Fact]
    public async Task RunAsync_TooSlow_IsKilledWithItsChildren()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"pgproxy-shell-{Guid.NewGuid():N}");
        var result = await ShellCommand.RunAsync($"sleep 30; touch {marker}", TimeSpan.FromMilliseconds(300),
            CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.Null(result.ExitCode);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task RunAsync_HugeOutput_KeepsOnlyTheLimit()
    {
        var result = await ShellCommand.RunAsync("head -c 1000000 /dev/zero | tr '\\0' x", TimeSpan.FromSeconds(30),
            CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(ShellCommand.OutputLimit, result.StdOut.Length);
    }
}
