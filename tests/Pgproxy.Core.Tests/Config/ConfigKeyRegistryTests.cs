using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Config;

public sealed class ConfigKeyRegistryTests
{
    [Fact]
    public void All_EveryProxyOptionsSetting_HasExactlyOneKey()
    {
        // Properties that are not keys: where the files are, and the backend list (indexed keys).
        string[] notKeys = ["ConfigFilePath", "HbaFilePath", "Backends"];
        var properties = typeof(ProxyOptions).GetProperties().Select(p => p.Name).Except(notKeys).ToList();
        var keys = ConfigKeyRegistry.All.Where(k => !k.IsIndexed)
            .Select(k => string.Concat(k.Name.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..])))
            .ToList();

        Assert.Equal(properties.Order(), keys.Order());
    }

    [Theory]
    [InlineData("listen_addresses", ConfigContext.Restart)]
    [InlineData("port", ConfigContext.Restart)]
    [InlineData("num_init_children", ConfigContext.Restart)]
    [InlineData("max_pool", ConfigContext.Restart)]
    [InlineData("load_balance_mode", ConfigContext.Restart)]
    [InlineData("ssl", ConfigContext.Restart)]
    [InlineData("ssl_cert", ConfigContext.Reload)]
    [InlineData("system_db_user", ConfigContext.Restart)]
    [InlineData("backend_hostname5", ConfigContext.Restart)]
    [InlineData("backend_data_directory0", ConfigContext.Restart)]
    [InlineData("backend_weight0", ConfigContext.Reload)]
    [InlineData("backend_flag127", ConfigContext.Reload)]
    [InlineData("health_check_period", ConfigContext.Reload)]
    [InlineData("client_idle_limit", ConfigContext.Reload)]
    [InlineData("replication_answer_timeout", ConfigContext.Reload)]
    public void TryFind_KnownKey_HasPgpoolContext(string name, ConfigContext context)
    {
        Assert.True(ConfigKeyRegistry.TryFind(name, out var key, out _));
        Assert.Equal(context, key.Context);
    }

    [Theory]
    [InlineData("backend_port12", "backend_port", 12)]
    [InlineData("BACKEND_PORT3", "backend_port", 3)]
    [InlineData("port", "port", -1)]
    public void TryFind_Name_ReturnsKeyAndNodeId(string name, string keyName, int nodeId)
    {
        Assert.True(ConfigKeyRegistry.TryFind(name, out var key, out var id));
        Assert.Equal(keyName, key.Name);
        Assert.Equal(nodeId, id);
    }

    [Theory]
    [InlineData("backend_port128")]
    [InlineData("backend_port01")]
    [InlineData("backend_port")]
    [InlineData("health_check_period0")]
    [InlineData("memory_cache_enabled")]
    public void TryFind_NotAKey_ReturnsFalse(string name) =>
        Assert.False(ConfigKeyRegistry.TryFind(name, out _, out _));

    [Fact]
    public void Default_MatchesProxyOptionsDefaults()
    {
        Assert.Equal("9999", ConfigKeyRegistry.Find("port")!.Default);
        Assert.Equal("ABORT; DISCARD ALL", ConfigKeyRegistry.Find("reset_query_list")!.Default);
        Assert.Equal("on", ConfigKeyRegistry.Find("load_balance_mode")!.Default);
        Assert.Equal("/var/run/pgproxy/pgproxy.pid", ConfigKeyRegistry.Find("pid_file_name")!.Default);
        Assert.Equal("5432", ConfigKeyRegistry.Find("backend_port")!.Default);
        Assert.Equal("'localhost'", ConfigKeyRegistry.Find("listen_addresses")!.DefaultLiteral);
        Assert.Equal("60", ConfigKeyRegistry.Find("replication_answer_timeout")!.Default);
    }
}
