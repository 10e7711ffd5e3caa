using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Config;

public sealed class ConfigSampleTests
{
    [Fact]
    public void Load_PgproxyConfSample_NoErrorsNoWarnings()
    {
        var result = ConfigLoader.Load(RepoRoot.File("pgproxy.conf.sample"));

        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        Assert.NotNull(result.Options);
        var backend = Assert.Single(result.Options.Backends);
        Assert.Equal("localhost", backend.Hostname);
    }

    [Fact]
    public void Load_YamlSample_NoErrorsTwoBackends()
    {
        // The .sample suffix hides the .yaml extension from Load, so say it is YAML.
        var path = RepoRoot.File("conf/pgproxy.yaml.sample");
        var result = ConfigLoader.LoadFromText(File.ReadAllText(path), path, yaml: true);

        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        Assert.NotNull(result.Options);
        Assert.Equal([5432, 5433], result.Options.Backends.Select(b => b.Port));
        Assert.Equal([0, 1], result.Options.Backends.Select(b => b.NodeId));
        Assert.Equal("/var/lib/pgsql/data1", result.Options.Backends[1].DataDirectory);
    }

    [Fact]
    public void ConfSample_EveryRegistryKey_AppearsWithItsDefault()
    {
        var errors = new List<ConfigDiagnostic>();
        var entries = PgpoolConfigParser.Parse(
            File.ReadAllText(RepoRoot.File("pgproxy.conf.sample")), "pgproxy.conf.sample", errors);
        Assert.Empty(errors);
        var values = entries.ToDictionary(e => e.Key, e => e.Value);

        foreach (var key in ConfigKeyRegistry.All)
        {
            var name = key.NameFor(0);
            Assert.True(values.ContainsKey(name), $"{name} is missing from pgproxy.conf.sample");
            // Host name and data directory have no meaningful default; the sample shows an example.
            if (!key.IsIndexed || key.Default.Length > 0)
            {
                Assert.True(key.Default == values[name],
                    $"{name}: sample has '{values[name]}', registry default is '{key.Default}'");
            }
        }
    }

    [Fact]
    public void YamlSample_EveryPlainRegistryKey_AppearsWithItsDefault()
    {
        var errors = new List<ConfigDiagnostic>();
        var entries = YamlConfigParser.Parse(
            File.ReadAllText(RepoRoot.File("conf/pgproxy.yaml.sample")), "pgproxy.yaml.sample", errors, []);
        Assert.Empty(errors);
        Assert.NotNull(entries);
        var values = entries.ToDictionary(e => e.Key, e => e.Value);

        foreach (var key in ConfigKeyRegistry.All.Where(k => !k.IsIndexed))
        {
            Assert.True(values.ContainsKey(key.Name), $"{key.Name} is missing from pgproxy.yaml.sample");
            Assert.True(key.TryParse(values[key.Name], out var parsed, out var error), error);
            Assert.Equal(key.Default, key.GetValue(key.Apply(new ProxyOptions(), parsed)));
        }
    }
}
