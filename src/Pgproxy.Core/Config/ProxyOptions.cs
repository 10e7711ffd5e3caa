namespace Pgproxy.Core.Config;

/// <summary>
/// The whole validated configuration, immutable. A reload builds a new instance and the running parts pick up
/// what they may change at run time; the key registry says which keys need a restart.
/// Defaults are pgpool-II's where the key exists there.
/// </summary>
public sealed record ProxyOptions
{
    /// <summary>Absolute path of the file this was read from; relative paths in it resolve against its folder.</summary>
    public string ConfigFilePath { get; init; } = "";

    /// <summary>Absolute path of pool_hba.conf (<c>-a</c>, else next to the config file).</summary>
    public string HbaFilePath { get; init; } = "";

    // --- connections ---
    /// <summary><c>listen_addresses</c>: comma-separated host names or addresses, <c>*</c> for all.</summary>
    public string ListenAddresses { get; init; } = "localhost";
    public int Port { get; init; } = 9999;
    /// <summary><c>unix_socket_directories</c>: comma-separated; empty disables the Unix socket.</summary>
    public string UnixSocketDirectories { get; init; } = "/tmp";
    public int ListenBacklogMultiplier { get; init; } = 2;
    public int NumInitChildren { get; init; } = 32;
    public int MaxPool { get; init; } = 4;
    public int ReservedConnections { get; init; }
    public bool ConnectionCache { get; init; } = true;
    /// <summary><c>connection_life_time</c> in seconds; 0 keeps cached backend connections forever.</summary>
    public int ConnectionLifeTime { get; init; }
    /// <summary><c>client_idle_limit</c> in seconds; 0 never disconnects an idle client.</summary>
    public int ClientIdleLimit { get; init; }
    public int AuthenticationTimeout { get; init; } = 60;
    /// <summary><c>max_authenticating_connections</c>; 0 means twice <see cref="NumInitChildren"/>.</summary>
    public int MaxAuthenticatingConnections { get; init; }
    /// <summary>
    /// <c>max_authenticating_connections_per_address</c>; 0 means half of the effective
    /// <see cref="MaxAuthenticatingConnections"/>.
    /// </summary>
    public int MaxAuthenticatingConnectionsPerAddress { get; init; }
    /// <summary><c>reset_query_list</c> split on <c>;</c>, trimmed, empty entries dropped.</summary>
    public IReadOnlyList<string> ResetQueryList { get; init; } = ["ABORT", "DISCARD ALL"];
    /// <summary><c>connect_timeout</c> in milliseconds for backend connections; 0 waits for the OS.</summary>
    public int ConnectTimeout { get; init; } = 10000;

    // --- backends ---
    public IReadOnlyList<BackendConfig> Backends { get; init; } = [];
    public string BackendClusteringMode { get; init; } = "native_replication";

    // --- routing and replication ---
    public bool LoadBalanceMode { get; init; } = true;
    public bool StatementLevelLoadBalance { get; init; }
    public string WriteFunctionList { get; init; } = "";
    public string ReadOnlyFunctionList { get; init; } = "";
    public bool ReplicationStopOnMismatch { get; init; }
    public bool FailoverIfAffectedTuplesMismatch { get; init; }
    public bool InsertLock { get; init; } = true;
    /// <summary><c>nondeterministic_write</c>: <c>error</c> or <c>allow</c>.</summary>
    public string NondeterministicWrite { get; init; } = "error";

    // --- health and failover ---
    public int HealthCheckPeriod { get; init; }
    public int HealthCheckTimeout { get; init; } = 20;
    public string HealthCheckUser { get; init; } = "";
    public string HealthCheckPassword { get; init; } = "";
    public string HealthCheckDatabase { get; init; } = "";
    public int HealthCheckMaxRetries { get; init; }
    public int HealthCheckRetryDelay { get; init; } = 1;
    public bool FailoverOnBackendError { get; init; } = true;
    /// <summary>
    /// <c>replication_answer_timeout</c>: seconds an other node may take to answer a write beyond main's own time
    /// for it before it is degenerated; 0 waits without limit.
    /// </summary>
    public int ReplicationAnswerTimeout { get; init; } = 60;

    /// <summary>two_phase or one_phase; null when not set, which is two_phase where every node allows it.</summary>
    public string? ReplicationCommit { get; init; }

    /// <summary><c>consistency_check_period</c>: seconds between background checks; 0 runs none.</summary>
    public int ConsistencyCheckPeriod { get; init; }

    /// <summary><c>consistency_check_failover</c>: degenerate a node a check finds different from main.</summary>
    public bool ConsistencyCheckFailover { get; init; }

    /// <summary><c>consistency_check_rows_per_second</c>: per node; 0 is no limit.</summary>
    public int ConsistencyCheckRowsPerSecond { get; init; } = 100_000;

    /// <summary><c>write_gate_timeout</c>: milliseconds to wait for in-flight commits when closing the gate.</summary>
    public int WriteGateTimeout { get; init; } = 2_000;

    /// <summary><c>recovery_cutover_timeout</c>: milliseconds a recovery's cutover may hold the write gate.</summary>
    public int RecoveryCutoverTimeout { get; init; } = 5_000;
    /// <summary>Shell command run when a node is degenerated (pgpool's % placeholders); empty runs nothing.</summary>
    public string FailoverCommand { get; init; } = "";
    /// <summary>Shell command run when a node is attached again; empty runs nothing.</summary>
    public string FailbackCommand { get; init; } = "";

    // --- administration and metrics ---
    /// <summary>Users allowed to run PGPROXY ATTACH/DETACH NODE (comma list); empty allows nobody.</summary>
    public string AdminUsers { get; init; } = "";
    /// <summary>Port of the Prometheus text endpoint on listen_addresses; 0 turns it off.</summary>
    public int MetricsPort { get; init; }

    // --- authentication and TLS ---
    public bool EnablePoolHba { get; init; }
    /// <summary>Absolute path of pool_passwd; empty disables it.</summary>
    public string PoolPasswd { get; init; } = "pool_passwd";
    /// <summary>
    /// Absolute path of the AES key file (<c>-k</c>, else <c>pool_key</c>); empty looks in the usual places.
    /// </summary>
    public string PoolKey { get; init; } = "";
    public bool AllowClearTextFrontendAuth { get; init; }
    public bool Ssl { get; init; }
    public string SslKey { get; init; } = "";
    public string SslCert { get; init; } = "";
    public string SslCaCert { get; init; } = "";
    /// <summary><c>backend_ssl</c>: <c>auto</c> (prefer when <c>ssl</c> is on, else off), <c>off</c>,
    /// <c>prefer</c> or <c>require</c>.</summary>
    public string BackendSsl { get; init; } = "auto";

    // --- logging ---
    /// <summary><c>log_min_messages</c>: debug5..debug1, info, notice, warning, error, log, fatal, panic.</summary>
    public string LogMinMessages { get; init; } = "warning";
    public bool LogConnections { get; init; }
    public bool LogDisconnections { get; init; }
    public bool LogStatement { get; init; }
    public bool LogPerNodeStatement { get; init; }
    public bool NoticePerNodeStatement { get; init; }

    // --- files ---
    /// <summary>Absolute path of the pid file.</summary>
    public string PidFileName { get; init; } = "/var/run/pgproxy/pgproxy.pid";
    /// <summary>Absolute folder for the log file when running detached.</summary>
    public string Logdir { get; init; } = "/tmp";
    /// <summary>Absolute folder for the node status file.</summary>
    public string WorkDir { get; init; } = "/tmp";

    // --- system database (pgpool 2.x names) ---
    public string SystemDbHostname { get; init; } = "";
    public int SystemDbPort { get; init; } = 5432;
    public string SystemDbDbname { get; init; } = "pgproxy";
    public string SystemDbSchema { get; init; } = "pgproxy_catalog";
    public string SystemDbUser { get; init; } = "pgproxy";
    public string SystemDbPassword { get; init; } = "";
}
