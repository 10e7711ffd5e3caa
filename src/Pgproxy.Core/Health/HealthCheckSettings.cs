using Pgproxy.Core.Config;

namespace Pgproxy.Core.Health;

/// <summary>
/// The <c>health_check_*</c> settings (and <c>connect_timeout</c>) for one round of checks. Taken from the
/// options in force at the start of each round, so a reload applies from the next round on.
/// </summary>
internal sealed record HealthCheckSettings
{
    /// <summary>Seconds between the end of one round and the start of the next; 0 turns health checks off.</summary>
    public int PeriodSeconds { get; init; }

    /// <summary>Seconds one attempt (connect and startup) may take; 0 waits as long as it takes.</summary>
    public int TimeoutSeconds { get; init; }

    /// <summary>
    /// Milliseconds the TCP connect and startup may take (<c>connect_timeout</c>); 0 waits for the OS.
    /// </summary>
    public int ConnectTimeoutMs { get; init; }

    public string User { get; init; } = "";

    /// <summary>As written in pgproxy.conf: '' looks the user up in pool_passwd.</summary>
    public string Password { get; init; } = "";

    /// <summary>'' tries <c>postgres</c>, then <c>template1</c>.</summary>
    public string Database { get; init; } = "";

    public int MaxRetries { get; init; }

    public int RetryDelaySeconds { get; init; }

    public bool Enabled => PeriodSeconds > 0;

    public TimeSpan Period => TimeSpan.FromSeconds(PeriodSeconds);

    public TimeSpan RetryDelay => TimeSpan.FromSeconds(RetryDelaySeconds);

    /// <summary>The databases to try, in order.</summary>
    public IReadOnlyList<string> Databases => Database.Length > 0 ? [Database] : ["postgres", "template1"];

    public static HealthCheckSettings From(ProxyOptions options) => new()
    {
        PeriodSeconds = options.HealthCheckPeriod,
        TimeoutSeconds = options.HealthCheckTimeout,
        ConnectTimeoutMs = options.ConnectTimeout,
        // '' logs in as the OS user pgproxy runs as, which is what libpq does without a user name.
        User = options.HealthCheckUser.Length > 0 ? options.HealthCheckUser : Environment.UserName,
        Password = options.HealthCheckPassword,
        Database = options.HealthCheckDatabase,
        MaxRetries = options.HealthCheckMaxRetries,
        RetryDelaySeconds = options.HealthCheckRetryDelay,
    };
}
