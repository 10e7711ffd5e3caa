using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Health;

/// <summary>
/// Connections of pgproxy's own to a node, never a client's and never cached: the prepared-transaction resolver,
/// the consistency check. They log in as the health check does — health_check_user, or system_db_user when only
/// that is set — who must be able to read every table and end any prepared transaction: a superuser.
/// </summary>
internal sealed class ServiceConnector(INodeLogin runtime)
{
    /// <summary>The user these connections log in as.</summary>
    public string User => Credentials(runtime.Options).User;

    /// <summary>
    /// Opens a connection to <paramref name="database"/> (null: the health check's database) of
    /// <paramref name="node"/>, within 10 seconds; <paramref name="applicationName"/> shows in pg_stat_activity.
    /// </summary>
    public async Task<BackendConnection> OpenAsync(BackendNode node, string? database, string applicationName,
        CancellationToken cancellationToken)
    {
        var (user, password) = Credentials(runtime.Options);
        var settings = HealthCheckSettings.From(runtime.Options);
        var credential = ConfiguredPassword.Resolve(password, user, runtime.PoolPasswd, out var problem)
                         ?? throw new InvalidOperationException($"password of {user}: {problem}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var key = BackendPoolKey.From(user, database ?? settings.Databases[0],
            [new("application_name", applicationName)]);
        return await runtime.BackendConnector.ConnectAsync(node, key, credential, settings.ConnectTimeoutMs,
            loop: null, timeout.Token);
    }

    /// <summary>The user and configured password (possibly a pool_passwd lookup or a hash) they log in with.</summary>
    public static (string User, string Password) Credentials(ProxyOptions options)
    {
        var settings = HealthCheckSettings.From(options);
        return options.HealthCheckUser.Length == 0 && options.SystemDbUser.Length > 0
            ? (options.SystemDbUser, options.SystemDbPassword)
            : (settings.User, settings.Password);
    }
}
