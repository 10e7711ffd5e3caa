using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Failover;

namespace Pgproxy.Core.Tests.Failover;

public sealed class FailoverCommandTemplateTests
{
    private static readonly BackendConfig[] Backends =
    [
        new() { NodeId = 0, Hostname = "db0.example", Port = 5432, DataDirectory = "/data/pg0" },
        new() { NodeId = 1, Hostname = "db1.example", Port = 5433, DataDirectory = "/data/pg1" },
        new() { NodeId = 2, Hostname = "10.0.0.2", Port = 5434, DataDirectory = "/data/pg2" },
    ];

    private static NodeStatusChange Change(int nodeId, int mainBefore, int mainAfter,
        BackendStatus previous = BackendStatus.Up, BackendStatus current = BackendStatus.Down) =>
        new(nodeId, previous, current, "test", DateTimeOffset.UnixEpoch, mainBefore, mainAfter);

    [Fact]
    public void Expand_MainFails_FillsEveryPlaceholderAsPgpool()
    {
        var expansion = FailoverCommandTemplate.Expand(
            "/x/failover.sh %d %h %p %D %m %H %M %P %r %R %N %S %%", Change(0, mainBefore: 0, mainAfter: 1),
            Backends);

        Assert.Null(expansion.Problem);
        Assert.Equal(
            "/x/failover.sh 0 db0.example 5432 /data/pg0 1 db1.example 0 0 5433 /data/pg1 db0.example 5432 %",
            expansion.Command);
    }

    [Fact]
    public void Expand_ReplicaFails_MainStaysTheSame()
    {
        var expansion = FailoverCommandTemplate.Expand("%d:%h:%p:%D|%m:%H:%r:%R|%M:%P:%N:%S",
            Change(2, mainBefore: 0, mainAfter: 0), Backends);

        Assert.Equal("2:10.0.0.2:5434:/data/pg2|0:db0.example:5432:/data/pg0|0:0:db0.example:5432",
            expansion.Command);
    }

    [Fact]
    public void Expand_NoLiveNodeLeft_NewMainIsMinusOneAndEmpty()
    {
        var expansion = FailoverCommandTemplate.Expand("[%m][%H][%r][%R]", Change(1, mainBefore: 1, mainAfter: -1),
            Backends);

        Assert.Equal("[-1][][][]", expansion.Command);
    }

    [Theory]
    [InlineData("a %x b", "a  b")]        // unknown placeholder: dropped, as pgpool does
    [InlineData("trailing %", "trailing ")]
    [InlineData("100%%", "100%")]
    [InlineData("%%d", "%d")]             // an escaped percent is not a placeholder
    [InlineData("no placeholders", "no placeholders")]
    [InlineData("", "")]
    public void Expand_SpecialCases(string template, string expected)
    {
        Assert.Equal(expected, FailoverCommandTemplate.Expand(template, Change(1, 0, 0), Backends).Command);
    }

    [Fact]
    public void Expand_ValueContainingPercent_IsNotExpandedAgain()
    {
        BackendConfig[] backends = [Backends[0], Backends[1] with { DataDirectory = "/data/%d%%/pg" }];

        var expansion = FailoverCommandTemplate.Expand("rm %D", Change(1, 0, 0), backends);

        Assert.Equal("rm /data/%d%%/pg", expansion.Command);
    }

    [Theory]
    [InlineData("/data/x; rm -rf /")]
    [InlineData("/data/$(id)")]
    [InlineData("/data/`id`")]
    [InlineData("/data/a|b")]
    [InlineData("/data/a&b")]
    [InlineData("/data/a>b")]
    [InlineData("/data/a'b")]
    [InlineData("/data/a\"b")]
    [InlineData("/data/a\nb")]
    [InlineData("/data/a\\b")]
    [InlineData("/data/#b")]
    public void Expand_ValueWithShellSpecialCharacter_IsRefused(string dataDirectory)
    {
        BackendConfig[] backends = [Backends[0], Backends[1] with { DataDirectory = dataDirectory }];

        var expansion = FailoverCommandTemplate.Expand("echo %d %D", Change(1, 0, 0), backends);

        Assert.Null(expansion.Command);
        Assert.Contains("%D", expansion.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_ShellSpecialCharactersInTheTemplateItself_AreKept()
    {
        // The command line is the administrator's own; only values are checked.
        var expansion = FailoverCommandTemplate.Expand("echo \"%d $(date)\" >> '/tmp/log'; true", Change(1, 0, 0),
            Backends);

        Assert.Equal("echo \"1 $(date)\" >> '/tmp/log'; true", expansion.Command);
    }

    [Fact]
    public void Expand_UnknownNode_GivesItsIdAndEmptyValues()
    {
        var expansion = FailoverCommandTemplate.Expand("%d [%h] [%p] [%D]", Change(7, 0, 0), Backends);

        Assert.Equal("7 [] [] []", expansion.Command);
    }
}
