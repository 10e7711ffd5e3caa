using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Config;

public sealed class YamlConfigTests
{
    private const string File = "/etc/pgproxy/pgproxy.yaml";

    private static ConfigLoadResult Load(string text) => ConfigLoader.LoadFromText(text, File, yaml: true);

    [Fact]
    public void LoadFromText_BadValues_ReportLineAndKeyFromYamlMarks()
    {
        var text = """
            backends:
              - hostname: db0
                port: 5432
              - hostname: db1
                port: lots
            num_init_children: 0
            load_balance_mode: sometimes
            listen_addresses: [a, b]
            """;

        var result = Load(text);

        Assert.Equal(
            [(5, "backend_port1"), (6, "num_init_children"), (7, "load_balance_mode"), (8, "listen_addresses")],
            result.Errors.Select(e => (e.Line, e.Key)));
        Assert.All(result.Errors, e => Assert.Equal(File, e.File));
    }

    [Fact]
    public void LoadFromText_SyntaxError_ReportsLine()
    {
        var result = Load("backend_hostname0: db0\nport: 9999\nlisten_addresses: [a, b\nmax_pool: 2\n");

        var error = Assert.Single(result.Errors);
        Assert.True(error.Line >= 3, error.ToString());
        Assert.Equal("", error.Key);
        Assert.Contains("YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromText_IndexedKeysAndQuoting_Accepted()
    {
        var text = """
            backend_hostname0: db0
            backend_port0: '5433'
            backend_weight0: 0
            health_check_password: "p#ss: word"
            health_check_user: ~
            load_balance_mode: false
            """;

        var result = Load(text);

        Assert.Empty(result.Errors);
        var o = result.Options!;
        Assert.Equal(5433, o.Backends[0].Port);
        Assert.Equal(0, o.Backends[0].Weight);
        Assert.Equal("p#ss: word", o.HealthCheckPassword);
        Assert.Equal("", o.HealthCheckUser);
        Assert.False(o.LoadBalanceMode);
    }

    [Fact]
    public void LoadFromText_UnknownBackendField_Warns()
    {
        var result = Load("backends:\n  - hostname: db0\n    colour: blue\n");

        Assert.True(result.Succeeded);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(3, warning.Line);
        Assert.Contains("colour", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromText_BackendsNotAList_Error()
    {
        var result = Load("backend_hostname0: db0\nbackends: db1\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((2, "backends"), (error.Line, error.Key));
    }

    [Fact]
    public void LoadFromText_RootNotMapping_Error()
    {
        var result = Load("- port\n- 9999\n");

        Assert.Contains(result.Errors, e => e.Line == 1 && e.Message.Contains("mapping", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadFromText_Empty_OnlyMissingBackendError()
    {
        var error = Assert.Single(Load("# nothing\n").Errors);
        Assert.Equal("backend_hostname0", error.Key);
    }

    [Fact]
    public void LoadFromText_DuplicateKey_ErrorWithLine()
    {
        // Unlike pgpool syntax, YAML forbids duplicate keys, and YamlDotNet enforces it.
        var result = Load("backend_hostname0: db0\nport: 7000\nport: 7001\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("Duplicate key port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromText_YamlKeyAndBackendsList_LastWinsWithWarning()
    {
        var result = Load("backend_hostname0: db0\nbackends:\n  - hostname: db9\n");

        Assert.True(result.Succeeded);
        Assert.Equal("db9", result.Options!.Backends[0].Hostname);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((3, "backend_hostname0"), (warning.Line, warning.Key));
    }
}
