namespace Pgproxy.Core.Config;

// The key table, one method per section of the sample file; the static constructor concatenates them in that order.
public static partial class ConfigKeyRegistry
{
    private const string Connections = "CONNECTIONS";
    private const string Pools = "POOLS";
    private const string Backends = "BACKEND CONNECTION SETTINGS";
    private const string Clustering = "BACKEND CLUSTERING MODE";
    private const string LoadBalancing = "LOAD BALANCING MODE";
    private const string Replication = "NATIVE REPLICATION";
    private const string Health = "HEALTH CHECK";
    private const string Failover = "FAILOVER";
    private const string Auth = "AUTHENTICATION";
    private const string Ssl = "SSL CONNECTIONS";
    private const string Logs = "LOGS";
    private const string Files = "FILE LOCATIONS";
    private const string SystemDb = "SYSTEM DATABASE";
    private const string Admin = "ADMINISTRATION AND METRICS";

    private static readonly string[] LogLevels =
        ["debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"];

    private static readonly string[] BackendSslModes = ["auto", "off", "prefer", "require"];

    private static readonly string[] BackendFlags = ["ALLOW_TO_FAILOVER", "DISALLOW_TO_FAILOVER", "ALWAYS_PRIMARY"];

    private static ConfigKey[] ConnectionKeys() =>
    [
        Str("listen_addresses", Connections, ConfigContext.Restart, o => o.ListenAddresses,
            (o, v) => o with { ListenAddresses = v },
            "Host names or IP addresses to listen on, comma-separated; '*' for all, '' for none."),
        Int("port", Connections, ConfigContext.Restart, 1024, 65535, o => o.Port, (o, v) => o with { Port = v },
            "TCP port pgproxy listens on."),
        Str("unix_socket_directories", Connections, ConfigContext.Restart, o => o.UnixSocketDirectories,
            (o, v) => o with { UnixSocketDirectories = v },
            "Folders for the Unix domain socket, comma-separated; '' disables it."),
        Int("listen_backlog_multiplier", Connections, ConfigContext.Restart, 1, int.MaxValue,
            o => o.ListenBacklogMultiplier, (o, v) => o with { ListenBacklogMultiplier = v },
            "listen() backlog = listen_backlog_multiplier * num_init_children."),
    ];

    private static ConfigKey[] PoolKeys() =>
    [
        Int("num_init_children", Pools, ConfigContext.Restart, 1, int.MaxValue, o => o.NumInitChildren,
            (o, v) => o with { NumInitChildren = v },
            "Maximum number of concurrent client sessions."),
        Int("max_pool", Pools, ConfigContext.Restart, 1, int.MaxValue, o => o.MaxPool,
            (o, v) => o with { MaxPool = v },
            "Cached backend connection sets per session slot (user/database pairs)."),
        Int("reserved_connections", Pools, ConfigContext.Restart, 0, int.MaxValue, o => o.ReservedConnections,
            (o, v) => o with { ReservedConnections = v },
            "When > 0, refuse clients with \"Sorry, too many clients already\" instead of making them wait."),
        Bool("connection_cache", Pools, ConfigContext.Reload, o => o.ConnectionCache,
            (o, v) => o with { ConnectionCache = v },
            "Keep backend connections for reuse after the client disconnects."),
        Int("connection_life_time", Pools, ConfigContext.Reload, 0, int.MaxValue, o => o.ConnectionLifeTime,
            (o, v) => o with { ConnectionLifeTime = v },
            "Seconds a cached backend connection lives; 0 keeps it forever."),
        Int("client_idle_limit", Pools, ConfigContext.Reload, 0, int.MaxValue, o => o.ClientIdleLimit,
            (o, v) => o with { ClientIdleLimit = v },
            "Seconds before an idle client is disconnected; 0 never."),
        Int("authentication_timeout", Pools, ConfigContext.Reload, 0, int.MaxValue,
            o => o.AuthenticationTimeout, (o, v) => o with { AuthenticationTimeout = v },
            "Seconds a client has, from the moment it connects, to finish authenticating and get its backends; " +
            "0 no limit."),
        Int("max_authenticating_connections", Pools, ConfigContext.Reload, 0, int.MaxValue,
            o => o.MaxAuthenticatingConnections, (o, v) => o with { MaxAuthenticatingConnections = v },
            "Connections still authenticating at once; when reached, the oldest from the address with the most " +
            "of them is dropped (53300) to let the new one in. 0 means 2 * num_init_children."),
        Int("max_authenticating_connections_per_address", Pools, ConfigContext.Reload, 0, int.MaxValue,
            o => o.MaxAuthenticatingConnectionsPerAddress,
            (o, v) => o with { MaxAuthenticatingConnectionsPerAddress = v },
            "Connections from one client address still authenticating at once; when reached, the oldest " +
            "from that address is dropped (53300). 0 means half of max_authenticating_connections."),
        Str("reset_query_list", Pools, ConfigContext.Reload, o => string.Join("; ", o.ResetQueryList),
            (o, v) => o with { ResetQueryList = SplitQueries(v) },
            "Queries run on a cached connection when the client leaves, separated by ';'."),
        Int("connect_timeout", Pools, ConfigContext.Reload, 0, int.MaxValue, o => o.ConnectTimeout,
            (o, v) => o with { ConnectTimeout = v },
            "Milliseconds a backend connection (connect and startup) may take; 0 waits for the operating " +
            "system. A node degenerated meanwhile ends the wait at once."),
    ];

    private static ConfigKey[] ClusteringModeKeys() =>
    [
        new ConfigKey("backend_clustering_mode", Clustering, ConfigContext.Restart, ConfigValueKind.Enum,
            "Clustering mode; pgproxy implements native replication only.",
            (o, v) => o with { BackendClusteringMode = (string)v }, o => o.BackendClusteringMode,
            allowedValues: ["native_replication"],
            validate: v => string.Equals(v.Trim(), "native_replication", StringComparison.OrdinalIgnoreCase)
                ? null
                : $"invalid value \"{v}\": only native_replication is supported"),
    ];

    private static ConfigKey[] LoadBalancingKeys() =>
    [
        Bool("load_balance_mode", LoadBalancing, ConfigContext.Restart, o => o.LoadBalanceMode,
            (o, v) => o with { LoadBalanceMode = v },
            "Spread reads over the nodes by backend_weight."),
        Bool("statement_level_load_balance", LoadBalancing, ConfigContext.Reload,
            o => o.StatementLevelLoadBalance, (o, v) => o with { StatementLevelLoadBalance = v },
            "Choose the load balance node per statement instead of per session."),
        Str("write_function_list", LoadBalancing, ConfigContext.Reload, o => o.WriteFunctionList,
            (o, v) => o with { WriteFunctionList = v },
            "Comma-separated regular expressions of functions that write; '' uses volatility."),
        Str("read_only_function_list", LoadBalancing, ConfigContext.Reload, o => o.ReadOnlyFunctionList,
            (o, v) => o with { ReadOnlyFunctionList = v },
            "Comma-separated regular expressions of functions that only read; '' uses volatility."),
    ];

    private static ConfigKey[] ReplicationKeys() =>
    [
        Bool("replication_stop_on_mismatch", Replication, ConfigContext.Reload,
            o => o.ReplicationStopOnMismatch, (o, v) => o with { ReplicationStopOnMismatch = v },
            "Degenerate the minority node when nodes return different result kinds or row counts."),
        Bool("failover_if_affected_tuples_mismatch", Replication, ConfigContext.Reload,
            o => o.FailoverIfAffectedTuplesMismatch, (o, v) => o with { FailoverIfAffectedTuplesMismatch = v },
            "Degenerate the minority node when INSERT/UPDATE/DELETE affect different row counts."),
        Bool("insert_lock", Replication, ConfigContext.Reload, o => o.InsertLock,
            (o, v) => o with { InsertLock = v },
            "Lock the table before an INSERT so serial columns get the same values on every node."),
        new ConfigKey("nondeterministic_write", Replication, ConfigContext.Reload, ConfigValueKind.Enum,
            "What to do with a write whose result may differ per node (random(), now() in some forms): "
            + "error rejects it, allow sends it anyway.",
            (o, v) => o with { NondeterministicWrite = (string)v }, o => o.NondeterministicWrite,
            allowedValues: ["error", "allow"]),

        new ConfigKey("replication_commit", Replication, ConfigContext.Reload, ConfigValueKind.Enum,
            "How a transaction that wrote commits on several nodes: two_phase (the others PREPARE TRANSACTION, "
            + "main commits, then the others COMMIT PREPARED: no crash leaves the nodes different) or one_phase "
            + "(every node commits at once). two_phase needs max_prepared_transactions > 0 on every node.",
            (o, v) => o with { ReplicationCommit = (string)v }, o => o.ReplicationCommit ?? "two_phase",
            allowedValues: ["two_phase", "one_phase"]),
    ];

    private static ConfigKey[] ConsistencyCheckKeys() =>
    [
        Int("consistency_check_period", Replication, ConfigContext.Reload, 0, int.MaxValue,
            o => o.ConsistencyCheckPeriod, (o, v) => o with { ConsistencyCheckPeriod = v },
            "Seconds between background consistency checks of every live node against main; 0 runs none "
            + "(PGPROXY CHECK and pgproxy check still do)."),
        Bool("consistency_check_failover", Replication, ConfigContext.Reload, o => o.ConsistencyCheckFailover,
            (o, v) => o with { ConsistencyCheckFailover = v },
            "Degenerate a node that a consistency check finds different from main."),
        Int("consistency_check_rows_per_second", Replication, ConfigContext.Reload, 0, int.MaxValue,
            o => o.ConsistencyCheckRowsPerSecond, (o, v) => o with { ConsistencyCheckRowsPerSecond = v },
            "Rows per second a consistency check reads on each node, so it never presses on the workload; "
            + "0 reads as fast as the nodes answer."),
        Int("write_gate_timeout", Replication, ConfigContext.Reload, 1, int.MaxValue,
            o => o.WriteGateTimeout, (o, v) => o with { WriteGateTimeout = v },
            "Milliseconds a check or recovery waits for the commits in flight when it holds new commits at the "
            + "write gate to take a common cut; past it the gate opens again and the check says so."),
        Int("recovery_cutover_timeout", Replication, ConfigContext.Reload, 1, int.MaxValue,
            o => o.RecoveryCutoverTimeout, (o, v) => o with { RecoveryCutoverTimeout = v },
            "Milliseconds an online recovery may hold the write gate closed while the recovering node applies "
            + "main's last changes; past it the gate opens, catching up goes on and the cutover is tried again."),
    ];

    private static ConfigKey[] HealthCheckKeys() =>
    [
        Int("health_check_period", Health, ConfigContext.Reload, 0, int.MaxValue, o => o.HealthCheckPeriod,
            (o, v) => o with { HealthCheckPeriod = v }, "Seconds between health checks; 0 disables them."),
        Int("health_check_timeout", Health, ConfigContext.Reload, 0, int.MaxValue, o => o.HealthCheckTimeout,
            (o, v) => o with { HealthCheckTimeout = v }, "Seconds before a health check gives up; 0 never."),
        Str("health_check_user", Health, ConfigContext.Reload, o => o.HealthCheckUser,
            (o, v) => o with { HealthCheckUser = v },
            "User the health check logs in as; '' is the OS user pgproxy runs as."),
        Str("health_check_password", Health, ConfigContext.Reload, o => o.HealthCheckPassword,
            (o, v) => o with { HealthCheckPassword = v },
            "Password for health_check_user; '' looks it up in pool_passwd."),
        Str("health_check_database", Health, ConfigContext.Reload, o => o.HealthCheckDatabase,
            (o, v) => o with { HealthCheckDatabase = v },
            "Database the health check connects to; '' tries postgres, then template1."),
        Int("health_check_max_retries", Health, ConfigContext.Reload, 0, int.MaxValue,
            o => o.HealthCheckMaxRetries, (o, v) => o with { HealthCheckMaxRetries = v },
            "Retries after a failed health check before failover."),
        Int("health_check_retry_delay", Health, ConfigContext.Reload, 0, int.MaxValue,
            o => o.HealthCheckRetryDelay, (o, v) => o with { HealthCheckRetryDelay = v },
            "Seconds between health check retries."),
    ];

    private static ConfigKey[] FailoverKeys() =>
    [
        Bool("failover_on_backend_error", Failover, ConfigContext.Reload, o => o.FailoverOnBackendError,
            (o, v) => o with { FailoverOnBackendError = v },
            "Degenerate a node when reading from or writing to its socket fails."),
        Int("replication_answer_timeout", Failover, ConfigContext.Reload, 0, int.MaxValue,
            o => o.ReplicationAnswerTimeout, (o, v) => o with { ReplicationAnswerTimeout = v },
            "Seconds an other node may take to answer a write (or COMMIT) beyond main's own time for it before " +
            "it is degenerated; main is never bounded. 0 waits without limit."),
        Str("failover_command", Failover, ConfigContext.Reload, o => o.FailoverCommand,
            (o, v) => o with { FailoverCommand = v },
            "Shell command run after a node is degenerated: %d node id, %h host, %p port, %D data directory, "
            + "%m new main id, %H new main host, %r new main port, %R new main data directory, "
            + "%M old main id, %P old primary id, %N old primary host, %S old primary port, "
            + "%% a percent sign; '' runs nothing."),
        Str("failback_command", Failover, ConfigContext.Reload, o => o.FailbackCommand,
            (o, v) => o with { FailbackCommand = v },
            "Shell command run after a down node is attached again, same placeholders; '' runs nothing."),
    ];

    private static ConfigKey[] AuthenticationKeys() =>
    [
        Bool("enable_pool_hba", Auth, ConfigContext.Reload, o => o.EnablePoolHba,
            (o, v) => o with { EnablePoolHba = v }, "Authenticate clients by pool_hba.conf."),
        PathKey("pool_passwd", Auth, ConfigContext.Reload, o => o.PoolPasswd,
            (o, v) => o with { PoolPasswd = v },
            "File of user:password entries for md5/scram authentication; '' disables it."),
        PathKey("pool_key", Auth, ConfigContext.Reload, o => o.PoolKey, (o, v) => o with { PoolKey = v },
            "Key file for AES passwords (-k overrides); '' uses $PGPROXYKEYFILE, then ~/.pgproxykey."),
        Bool("allow_clear_text_frontend_auth", Auth, ConfigContext.Reload,
            o => o.AllowClearTextFrontendAuth, (o, v) => o with { AllowClearTextFrontendAuth = v },
            "Ask the client for a clear-text password when pool_passwd has no entry (pool_hba off only)."),
    ];

    private static ConfigKey[] SslKeys() =>
    [
        Bool("ssl", Ssl, ConfigContext.Restart, o => o.Ssl, (o, v) => o with { Ssl = v },
            "Enable TLS for client connections (and, with backend_ssl = auto, towards the backends)."),
        PathKey("ssl_key", Ssl, ConfigContext.Reload, o => o.SslKey, (o, v) => o with { SslKey = v },
            "Private key file (PEM) of ssl_cert; new sessions use a reloaded one."),
        PathKey("ssl_cert", Ssl, ConfigContext.Reload, o => o.SslCert, (o, v) => o with { SslCert = v },
            "Certificate file (PEM) shown to clients; more certificates after the first form its chain."),
        PathKey("ssl_ca_cert", Ssl, ConfigContext.Reload, o => o.SslCaCert,
            (o, v) => o with { SslCaCert = v },
            "CA certificates (PEM) that client and backend certificates must chain to; '' none: clients are " +
            "not asked for a certificate and backend certificates are not checked."),
        new ConfigKey("backend_ssl", Ssl, ConfigContext.Reload, ConfigValueKind.Enum,
            "TLS towards the backends: auto (prefer when ssl = on, else off), off, prefer (TLS when the node " +
            "offers it) or require.",
            (o, v) => o with { BackendSsl = (string)v }, o => o.BackendSsl, allowedValues: BackendSslModes),
    ];

    private static ConfigKey[] LogKeys() =>
    [
        new ConfigKey("log_min_messages", Logs, ConfigContext.Reload, ConfigValueKind.Enum,
            "Least severe message level written to the log.",
            (o, v) => o with { LogMinMessages = (string)v }, o => o.LogMinMessages, allowedValues: LogLevels),
        Bool("log_connections", Logs, ConfigContext.Reload, o => o.LogConnections,
            (o, v) => o with { LogConnections = v }, "Log each client connection."),
        Bool("log_disconnections", Logs, ConfigContext.Reload, o => o.LogDisconnections,
            (o, v) => o with { LogDisconnections = v }, "Log each client disconnection."),
        Bool("log_statement", Logs, ConfigContext.Reload, o => o.LogStatement,
            (o, v) => o with { LogStatement = v }, "Log every statement."),
        Bool("log_per_node_statement", Logs, ConfigContext.Reload, o => o.LogPerNodeStatement,
            (o, v) => o with { LogPerNodeStatement = v }, "Log every statement with the node it went to."),
        Bool("notice_per_node_statement", Logs, ConfigContext.Reload, o => o.NoticePerNodeStatement,
            (o, v) => o with { NoticePerNodeStatement = v },
            "Send the client a NOTICE naming the node each statement went to."),
    ];

    private static ConfigKey[] FileKeys() =>
    [
        PathKey("pid_file_name", Files, ConfigContext.Restart, o => o.PidFileName,
            (o, v) => o with { PidFileName = v }, "Pid file of the running pgproxy."),
        PathKey("logdir", Files, ConfigContext.Restart, o => o.Logdir, (o, v) => o with { Logdir = v },
            "Folder for the log file when running detached."),
        PathKey("work_dir", Files, ConfigContext.Restart, o => o.WorkDir, (o, v) => o with { WorkDir = v },
            "Folder for the node status file (pgproxy_status)."),
    ];

    private static ConfigKey[] AdminKeys() =>
    [
        Str("admin_users", Admin, ConfigContext.Reload, o => o.AdminUsers, (o, v) => o with { AdminUsers = v },
            "Comma-separated users allowed to run PGPROXY ATTACH NODE / DETACH NODE and PGPROXY CHECK; '' allows nobody."),
        Int("metrics_port", Admin, ConfigContext.Restart, 0, 65535, o => o.MetricsPort,
            (o, v) => o with { MetricsPort = v },
            "Port of the Prometheus text endpoint (GET /metrics) on listen_addresses; 0 turns it off."),
    ];

    private static ConfigKey[] SystemDbKeys() =>
    [
        Str("system_db_hostname", SystemDb, ConfigContext.Restart, o => o.SystemDbHostname,
            (o, v) => o with { SystemDbHostname = v },
            "Host of the system database (node status, events, journal); '' uses backend node 0's host."),
        Int("system_db_port", SystemDb, ConfigContext.Restart, 1, 65535, o => o.SystemDbPort,
            (o, v) => o with { SystemDbPort = v }, "Port of the system database."),
        Str("system_db_dbname", SystemDb, ConfigContext.Restart, o => o.SystemDbDbname,
            (o, v) => o with { SystemDbDbname = v }, "Name of the system database."),
        Str("system_db_schema", SystemDb, ConfigContext.Restart, o => o.SystemDbSchema,
            (o, v) => o with { SystemDbSchema = v }, "Schema holding pgproxy's catalog tables."),
        Str("system_db_user", SystemDb, ConfigContext.Restart, o => o.SystemDbUser,
            (o, v) => o with { SystemDbUser = v }, "User for the system database."),
        Str("system_db_password", SystemDb, ConfigContext.Restart, o => o.SystemDbPassword,
            (o, v) => o with { SystemDbPassword = v },
            "Password for system_db_user; '' looks it up in pool_passwd."),
    ];

    // Indexed: backend_hostname0 .. backend_hostname127.
    private static ConfigKey[] BackendKeys() =>
    [
        Backend("backend_hostname", ConfigContext.Restart, ConfigValueKind.Text,
            b => b.Hostname, (b, v) => b with { Hostname = (string)v },
            "Host name or IP address of node N; a value starting with '/' is a Unix socket folder."),
        Backend("backend_port", ConfigContext.Restart, ConfigValueKind.WholeNumber,
            b => ConfigValueParser.FormatInt(b.Port), (b, v) => b with { Port = (int)v },
            "Port of node N.", min: 1024, max: 65535),
        Backend("backend_weight", ConfigContext.Reload, ConfigValueKind.Real,
            b => ConfigValueParser.FormatDouble(b.Weight), (b, v) => b with { Weight = (double)v },
            "Relative share of load-balanced reads for node N; 0 never reads from it."),
        Backend("backend_data_directory", ConfigContext.Restart, ConfigValueKind.Text,
            b => b.DataDirectory, (b, v) => b with { DataDirectory = (string)v },
            "Data folder of node N on its host (used by online recovery)."),
        Backend("backend_flag", ConfigContext.Reload, ConfigValueKind.Text,
            b => b.Flag, (b, v) => b with { Flag = NormalizeFlag((string)v) },
            "ALLOW_TO_FAILOVER, DISALLOW_TO_FAILOVER or ALWAYS_PRIMARY, combined with '|'.",
            validate: ValidateFlag, allowed: BackendFlags),
    ];
}
