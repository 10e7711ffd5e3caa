using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Health;

/// <summary>
/// One health check attempt, as pgpool makes it: a connection of its own (never one from the session cache),
/// the startup up to ReadyForQuery — so TLS (<c>backend_ssl</c>) and every authentication method are exercised
/// as for a client — then Terminate. The whole attempt is bounded by <c>health_check_timeout</c>, the connect
/// and startup also by <c>connect_timeout</c>.
/// </summary>
internal static class HealthProbe
{
    /// <summary>Shown in pg_stat_activity, so a DBA can tell the check's connections from clients'.</summary>
    private static readonly KeyValuePair<string, string>[] StartupParameters =
        [new("application_name", "pgproxy health check")];

    public static async Task<HealthProbeResult> CheckAsync(IBackendConnector connector, BackendNode node,
        HealthCheckSettings settings, BackendCredential credential, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (settings.TimeoutSeconds > 0)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        }

        var databases = settings.Databases;
        for (var i = 0; ; i++)
        {
            var key = BackendPoolKey.From(settings.User, databases[i], StartupParameters);
            try
            {
                var connection = await connector.ConnectAsync(node, key, credential, settings.ConnectTimeoutMs,
                    loop: null, timeout.Token);
                await connection.TerminateAsync();
                return HealthProbeResult.Ok;
            }
            catch (BackendStartupException e) when (e.SqlState == SqlState.InvalidCatalogName
                                                    && i + 1 < databases.Count)
            {
                // No "postgres" database on this node: pgpool then tries template1.
            }
            catch (BackendStartupException e)
            {
                return Classify(e);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                return new HealthProbeResult(HealthCheckFailure.TimedOut,
                    $"no answer from {node.Endpoint} within health_check_timeout ({settings.TimeoutSeconds} s)");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException
                                          or System.Security.Authentication.AuthenticationException)
            {
                return new HealthProbeResult(HealthCheckFailure.Unreachable, e.Message);
            }
        }
    }

    /// <summary>
    /// A refusal that says the server is unreachable, starting up or going away (SQLSTATE class 08 or 57) means
    /// the node is down; any other SQLSTATE came from a live PostgreSQL that refused this login.
    /// </summary>
    private static HealthProbeResult Classify(BackendStartupException e)
    {
        var nodeDown = e.SqlState.StartsWith("08", StringComparison.Ordinal)
                       || e.SqlState.StartsWith("57", StringComparison.Ordinal);
        return nodeDown
            ? new HealthProbeResult(HealthCheckFailure.Unreachable, e.Message)
            : new HealthProbeResult(HealthCheckFailure.Refused, $"{e.Message} (SQLSTATE {e.SqlState})");
    }
}
