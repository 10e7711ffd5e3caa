using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Config;

public sealed class ConfigLoaderTests
{
    private const string File = "/etc/pgproxy/pgproxy.conf";
    private const string Node0 = "backend_hostname0 = 'db0'\n";

    private static ConfigLoadResult Load(string text) => ConfigLoader.LoadFromText(text, File, yaml: false);

    [Theory]
    [InlineData("port = 80", "port", "between 1024 and 65535")]
    [InlineData("port = abc", "port", "invalid integer \"abc\"")]
    [InlineData("port = 9999 x", "port", "unexpected \"x\" after the value")]
    [InlineData("port = 9999 'x'", "port", "after the value")]
    [InlineData("port = 1.5", "port", "whole number")]
    [InlineData("num_init_children = 0", "num_init_children", "between 1 and")]
    [InlineData("max_pool = 0", "max_pool", "between 1 and")]
    [InlineData("load_balance_mode = maybe", "load_balance_mode", "on, off, true, false, yes, no, 1, 0")]
    [InlineData("backend_weight0 = -1", "backend_weight0", "greater than or equal to 0")]
    [InlineData("backend_port0 = 99999", "backend_port0", "between 1024 and 65535")]
    [InlineData("backend_clustering_mode = streaming_replication", "backend_clustering_mode",
        "only native_replication is supported")]
    [InlineData("nondeterministic_write = sometimes", "nondeterministic_write", "allowed values are error, allow")]
    [InlineData("replication_answer_timeout = -1", "replication_answer_timeout", "between 0 and")]
    [InlineData("log_min_messages = verbose", "log_min_messages", "debug5, debug4")]
    [InlineData("backend_flag0 = 'SOMETIMES'", "backend_flag0", "ALLOW_TO_FAILOVER, DISALLOW_TO_FAILOVER")]
    [InlineData("backend_flag0 = 'ALLOW_TO_FAILOVER|DISALLOW_TO_FAILOVER'", "backend_flag0", "exclude each other")]
    [InlineData("listen_addresses = 'unterminated", "listen_addresses", "unterminated quoted string")]
    [InlineData("port =", "port", "missing value")]
    [InlineData("port = # comment", "port", "missing value")]
    [InlineData("= 5", "", "expected a key name")]
    [InlineData("9port = 5", "", "expected a key name")]
    [InlineData("port = = 5", "port", "expected a value")]
    [InlineData("backend_port128 = 5432", "backend_port128", "out of range: expected 0 to 127")]
    [InlineData("reserved_connections = 32", "reserved_connections", "must be less than num_init_children (32)")]
    [InlineData("backend_port2 = 5433", "backend_port2", "backend_port2 given without backend_hostname2")]
    [InlineData("backend_hostname1 = ''", "backend_hostname1", "must not be empty")]
    [InlineData("backend_hostname1 = 'db0'", "backend_hostname1", "same server as node 0")]
    public void LoadFromText_BadLine_ReportsFileLineAndKey(string line, string key, string message)
    {
        var result = Load(Node0 + line + "\n");

        Assert.False(result.Succeeded);
        Assert.Null(result.Options);
        var error = Assert.Single(result.Errors);
        Assert.Equal(File, error.File);
        Assert.Equal(2, error.Line);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal($"{File}:2: {key}: {error.Message}", error.ToString());
    }

    [Fact]
    public void LoadFromText_SeveralBadLines_ReportsAllInLineOrder()
    {
        var text = """
            port = abc
            backend_hostname0 = 'db0'
            load_balance_mode = maybe
            # a comment
            backend_port3 = 5432
            max_pool = -1
            listen_addresses 'a' 'b'
            """;

        var result = Load(text);

        Assert.Equal(
            [(1, "port"), (3, "load_balance_mode"), (5, "backend_port3"), (6, "max_pool"), (7, "listen_addresses")],
            result.Errors.Select(e => (e.Line, e.Key)));
    }

    [Fact]
    public void LoadFromText_NoBackend_ErrorOnBackendHostname0()
    {
        var result = Load("port = 9999\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((0, "backend_hostname0"), (error.Line, error.Key));
        Assert.Contains("at least one backend", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromText_GapInNodeIds_Accepted()
    {
        var result = Load(Node0 + "backend_hostname2 = 'db2'\nbackend_port2 = 5433\nbackend_weight2 = 0.5\n");

        Assert.True(result.Succeeded);
        Assert.Equal([0, 2], result.Options!.Backends.Select(b => b.NodeId));
        Assert.Equal(0.5, result.Options.Backends[1].Weight);
        Assert.Equal(5433, result.Options.Backends[1].Port);
    }

    [Fact]
    public void LoadFromText_QuotingEscapesAndComments_ParsedLikePostgres()
    {
        var text = """
            backend_hostname0 = 'db0' # trailing comment
            health_check_password = 'it''s \'quoted\' # not a comment'
            health_check_user = 'tab\there\101'
            health_check_database=postgres
            port 5555
               LOAD_BALANCE_MODE = OFF
            insert_lock = no
            log_connections = 1
            log_statement = Yes
            failover_on_backend_error = false
            reset_query_list = 'ABORT;; DISCARD ALL ;'
            listen_addresses = *
            backend_flag0 = 'always_primary | disallow_to_failover'
            write_function_list = ''
            """;

        var result = Load(text);

        Assert.Empty(result.Errors);
        var o = result.Options!;
        Assert.Equal("it's 'quoted' # not a comment", o.HealthCheckPassword);
        Assert.Equal("tab\thereA", o.HealthCheckUser);
        Assert.Equal("postgres", o.HealthCheckDatabase);
        Assert.Equal(5555, o.Port);
        Assert.False(o.LoadBalanceMode);
        Assert.False(o.InsertLock);
        Assert.True(o.LogConnections);
        Assert.True(o.LogStatement);
        Assert.False(o.FailoverOnBackendError);
        Assert.Equal(["ABORT", "DISCARD ALL"], o.ResetQueryList);
        Assert.Equal("*", o.ListenAddresses);
        Assert.Equal("ALWAYS_PRIMARY|DISALLOW_TO_FAILOVER", o.Backends[0].Flag);
        Assert.Equal("", o.WriteFunctionList);
    }

    [Theory]
    [InlineData("", 60)]
    [InlineData("replication_answer_timeout = 1\n", 1)]
    [InlineData("replication_answer_timeout = 0\n", 0)]
    public void LoadFromText_ReplicationAnswerTimeout_SecondsWithDefault60(string line, int expected)
    {
        var result = Load(Node0 + line);

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.Options!.ReplicationAnswerTimeout);
    }

    [Fact]
    public void LoadFromText_CrLfLineEndings_Accepted()
    {
        var result = Load("backend_hostname0 = 'db0'\r\nport = 7777\r\n");

        Assert.Empty(result.Errors);
        Assert.Equal(7777, result.Options!.Port);
    }

    [Fact]
    public void LoadFromText_UnknownKey_WarnsAndSucceeds()
    {
        var result = Load(Node0 + "memory_cache_enabled = on\n");

        Assert.True(result.Succeeded);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((2, "memory_cache_enabled"), (warning.Line, warning.Key));
    }

    [Fact]
    public void LoadFromText_DuplicateKey_LastWinsWithWarning()
    {
        var result = Load(Node0 + "port = 7000\nport = 7001\n");

        Assert.True(result.Succeeded);
        Assert.Equal(7001, result.Options!.Port);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((3, "port"), (warning.Line, warning.Key));
        Assert.Contains("line 2", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFromText_RelativePaths_ResolvedAgainstConfigFolder()
    {
        var text = Node0 + """
            pid_file_name = 'run/pgproxy.pid'
            logdir = '../log'
            work_dir = '/var/lib/pgproxy'
            ssl_cert = 'server.crt'
            ssl_key = ''
            """;

        var o = Load(text).Options!;

        Assert.Equal("/etc/pgproxy/run/pgproxy.pid", o.PidFileName);
        Assert.Equal("/etc/log", o.Logdir);
        Assert.Equal("/var/lib/pgproxy", o.WorkDir);
        Assert.Equal("/etc/pgproxy/server.crt", o.SslCert);
        Assert.Equal("", o.SslKey);
        Assert.Equal("/etc/pgproxy/pool_passwd", o.PoolPasswd);
        Assert.Equal(File, o.ConfigFilePath);
        Assert.Equal("/etc/pgproxy/pool_hba.conf", o.HbaFilePath);
    }

    [Fact]
    public void LoadFromText_EmptyPoolPasswd_StaysDisabled()
    {
        Assert.Equal("", Load(Node0 + "pool_passwd = ''\n").Options!.PoolPasswd);
    }

    [Fact]
    public void Load_MissingFile_SingleErrorOnLineZero()
    {
        var path = Path.Combine(Path.GetTempPath(), "pgproxy-missing-" + Guid.NewGuid().ToString("N"), "x.conf");

        var result = ConfigLoader.Load(path);

        var error = Assert.Single(result.Errors);
        Assert.Equal((path, 0, ""), (error.File, error.Line, error.Key));
        Assert.StartsWith($"{path}:0: : could not open configuration file: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RealFile_AbsolutePathsAndHbaOverride()
    {
        var folder = Directory.CreateTempSubdirectory("pgproxy-config-test-");
        try
        {
            var conf = Path.Combine(folder.FullName, "pgproxy.conf");
            System.IO.File.WriteAllText(conf, Node0 + "work_dir = 'state'\n");

            var plain = ConfigLoader.Load(conf);
            var overridden = ConfigLoader.Load(conf, "/etc/other/hba.conf");

            Assert.Empty(plain.Errors);
            Assert.Equal(conf, plain.Options!.ConfigFilePath);
            Assert.Equal(Path.Combine(folder.FullName, "state"), plain.Options.WorkDir);
            Assert.Equal(Path.Combine(folder.FullName, "pool_hba.conf"), plain.Options.HbaFilePath);
            Assert.Equal("/etc/other/hba.conf", overridden.Options!.HbaFilePath);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_YmlExtension_ParsedAsYaml()
    {
        var folder = Directory.CreateTempSubdirectory("pgproxy-config-test-");
        try
        {
            var conf = Path.Combine(folder.FullName, "pgproxy.yml");
            System.IO.File.WriteAllText(conf, "backend_hostname0: db0\nport: 7000\n");

            var result = ConfigLoader.Load(conf);

            Assert.Empty(result.Errors);
            Assert.Equal(7000, result.Options!.Port);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
