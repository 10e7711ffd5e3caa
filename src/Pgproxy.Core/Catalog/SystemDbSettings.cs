using Npgsql;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// How to reach the system DB, fixed at start (the <c>system_db_*</c> keys need a restart): the Npgsql
/// connection string, the schema and a description for log lines that carries no password.
/// </summary>
internal sealed record SystemDbSettings(string ConnectionString, string Schema, string Description,
    TimeSpan ConnectTimeout)
{
    /// <summary>
    /// How long start-up may wait for the system DB when <c>connect_timeout</c> is 0 (no limit): the proxy must
    /// come up whatever the system DB does.
    /// </summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most start-up waits for the system DB whatever <c>connect_timeout</c> says: a detaching pgproxy's
    /// parent gives the child 30 s to write its pid file.
    /// </summary>
    public static readonly TimeSpan MaxStartupWait = TimeSpan.FromSeconds(20);

    /// <summary>Seconds a catalog statement may run: the statements are small, only a sick server takes long.</summary>
    private const int CommandTimeoutSeconds = 15;

    /// <summary>The system DB's host: <c>system_db_hostname</c>, '' meaning backend node 0's host.</summary>
    public static string Host(ProxyOptions options) =>
        options.SystemDbHostname.Length > 0
            ? options.SystemDbHostname
            : options.Backends.OrderBy(b => b.NodeId).FirstOrDefault()?.Hostname ?? "localhost";

    /// <summary>
    /// True when <paramref name="database"/> of the node at <paramref name="node"/> is pgproxy's own system DB: it
    /// exists on that node alone by design, so a check does not compare it and a recovery neither copies nor drops it.
    /// </summary>
    public static bool IsSystemDb(BackendConfig node, string database, ProxyOptions options) =>
        options.SystemDbUser.Length > 0 && database == options.SystemDbDbname
                                        && node.Port == options.SystemDbPort
                                        && string.Equals(node.Hostname, Host(options), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The settings for <paramref name="options"/>. <c>system_db_hostname</c> '' means backend node 0's host (a
    /// Unix socket folder works too); <c>system_db_password</c> '' is looked up in pool_passwd. Problems that
    /// do not prevent an attempt (only a hash known for the user) go to <paramref name="warnings"/>.
    /// </summary>
    public static SystemDbSettings From(ProxyOptions options, PoolPasswd poolPasswd, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warnings);
        var host = Host(options);
        var password = ConfiguredPassword.ResolvePlain(options.SystemDbPassword, options.SystemDbUser, poolPasswd,
            out var problem);
        if (problem is not null)
        {
            warnings.Add($"system_db_password: {problem}; connecting to the system DB without a password");
        }
        else if (password is null && options.SystemDbPassword.Length > 0)
        {
            warnings.Add("system_db_password holds a hash, and the system DB connection needs the password " +
                "itself (TEXT or AES form); connecting without a password");
        }
        else if (password is null && poolPasswd.Find(options.SystemDbUser) is { } secret)
        {
            warnings.Add($"system_db_password: pool_passwd holds only {secret.Describe()} for user " +
                $"\"{options.SystemDbUser}\", and the system DB connection needs the password itself " +
                "(TEXT or AES form); connecting without a password");
        }

        var timeout = options.ConnectTimeout > 0 ? TimeSpan.FromMilliseconds(options.ConnectTimeout)
            : DefaultConnectTimeout;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = options.SystemDbPort,
            Database = options.SystemDbDbname,
            Username = options.SystemDbUser,
            Password = password,
            ApplicationName = "pgproxy catalog",
            // One long-lived connection, reopened by the writer after an outage: a pool would only hide
            // broken connections from it.
            Pooling = false,
            Timeout = Math.Clamp((int)Math.Ceiling(timeout.TotalSeconds), 1, 1024),
            CommandTimeout = CommandTimeoutSeconds,
            CancellationTimeout = 1000,
        };
        var description = $"{options.SystemDbUser}@{host}:{options.SystemDbPort}/{options.SystemDbDbname}" +
            $" (schema {options.SystemDbSchema})";
        return new SystemDbSettings(builder.ConnectionString, options.SystemDbSchema, description, timeout);
    }

    /// <summary>How long start-up waits for the system DB (connect, migrate, read) before going on without it.</summary>
    public TimeSpan StartupWait => ConnectTimeout < MaxStartupWait ? ConnectTimeout : MaxStartupWait;

    /// <summary>The schema as a quoted SQL identifier.</summary>
    public string QuotedSchema => "\"" + Schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
