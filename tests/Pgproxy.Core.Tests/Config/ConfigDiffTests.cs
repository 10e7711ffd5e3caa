using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Config;

public sealed class ConfigDiffTests
{
    private static readonly ProxyOptions Base = new()
    {
        Backends =
        [
            new BackendConfig { NodeId = 0, Hostname = "db0" },
            new BackendConfig { NodeId = 1, Hostname = "db1", Port = 5433 },
        ],
    };

    [Fact]
    public void RestartRequiredChanges_Same_Empty() =>
        Assert.Empty(ConfigDiff.RestartRequiredChanges(Base, Base with { }));

    [Fact]
    public void RestartRequiredChanges_ReloadKeysOnly_Empty()
    {
        var changed = Base with
        {
            ClientIdleLimit = 30,
            HealthCheckPeriod = 10,
            LogMinMessages = "debug1",
            Backends = [Base.Backends[0] with { Weight = 0 }, Base.Backends[1] with { Flag = "ALWAYS_PRIMARY" }],
        };

        Assert.Empty(ConfigDiff.RestartRequiredChanges(Base, changed));
    }

    [Fact]
    public void RestartRequiredChanges_RestartKeys_NamedInRegistryOrder()
    {
        var changed = Base with { Port = 7000, NumInitChildren = 10, Ssl = true, PidFileName = "/run/x.pid" };

        Assert.Equal(["port", "num_init_children", "ssl", "pid_file_name"],
            ConfigDiff.RestartRequiredChanges(Base, changed));
    }

    [Fact]
    public void RestartRequiredChanges_BackendChanged_NamesIndexedKeys()
    {
        var changed = Base with
        {
            Backends = [Base.Backends[0] with { DataDirectory = "/data" }, Base.Backends[1] with { Port = 6000 }],
        };

        Assert.Equal(["backend_data_directory0", "backend_port1"], ConfigDiff.RestartRequiredChanges(Base, changed));
    }

    [Fact]
    public void RestartRequiredChanges_BackendAddedOrRemoved_NamesHostname()
    {
        var fewer = Base with { Backends = [Base.Backends[0]] };
        var more = Base with { Backends = [.. Base.Backends, new BackendConfig { NodeId = 4, Hostname = "db4" }] };

        Assert.Equal(["backend_hostname1"], ConfigDiff.RestartRequiredChanges(Base, fewer));
        Assert.Equal(["backend_hostname4"], ConfigDiff.RestartRequiredChanges(Base, more));
    }
}
