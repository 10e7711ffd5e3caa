using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Tells a node that is going away from one whose backend was ended alone, after a session's backend sent FATAL
/// 57P0x: a new connection, opened as the session's own were. PostgreSQL sends the same 57P01 to one backend ended
/// by <c>pg_terminate_backend</c> and to every backend at <c>pg_ctl stop -m fast</c>; but a postmaster shutting
/// down refuses new connections (57P03 "the database system is shutting down") from before it signals its
/// backends, and a stopped one is not listening — so the answer to a connection made after the FATAL is decisive.
/// </summary>
internal static class NodeShutdownProbe
{
    /// <summary>How long the probe may take when <c>connect_timeout</c> is 0 (wait for the OS).</summary>
    private static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(10);

    /// <summary>Shown in pg_stat_activity, so a DBA can tell the probe from the session it asks for.</summary>
    private static readonly KeyValuePair<string, string>[] StartupParameters =
        [new("application_name", "pgproxy shutdown probe")];

    /// <summary>
    /// Connects to <paramref name="node"/> as the session's user to its database (<paramref name="sessionKey"/>,
    /// <paramref name="credential"/>: they logged in there moments ago). Returns null when the node accepted the
    /// connection or refused it as a live PostgreSQL refuses a login (bad password, too many connections, database
    /// gone): it stays up. Otherwise returns why it is going away: refused as unreachable, starting up or shutting down (SQLSTATE class 08 or 57, as the health
    /// check judges it), unreachable, or no answer within <c>connect_timeout</c>.
    /// </summary>
    public static async Task<string?> WhyGoingAwayAsync(IBackendConnector connector, BackendNode node,
        BackendPoolKey sessionKey, BackendCredential credential, int connectTimeoutMs, CancellationToken stopping)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        limit.CancelAfter(connectTimeoutMs > 0 ? TimeSpan.FromMilliseconds(connectTimeoutMs) : DefaultLimit);
        try
        {
            var key = BackendPoolKey.From(sessionKey.User, sessionKey.Database, StartupParameters);
            var connection = await connector.ConnectAsync(node, key, credential, connectTimeoutMs, loop: null,
                limit.Token);
            await connection.TerminateAsync(); // never cached: it only answered the question
            return null;
        }
        catch (BackendStartupException e)
        {
            return e.SqlState.StartsWith("08", StringComparison.Ordinal)
                   || e.SqlState.StartsWith("57", StringComparison.Ordinal)
                ? $"a new connection was refused: {e.Message} (SQLSTATE {e.SqlState})"
                : null;
        }
        catch (OperationCanceledException)
        {
            return "a new connection got no answer within connect_timeout";
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException
                                      or System.Security.Authentication.AuthenticationException
                                      or ObjectDisposedException or InvalidOperationException)
        {
            return "a new connection failed: " + e.Message;
        }
    }
}
