using IPAddress = System.Net.IPAddress;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Operations;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// One client connection from its first byte to its last: the startup phase (<c>ClientSession.Startup.cs</c>,
/// the client authenticated by <see cref="ClientAuthenticator"/>), then the query phase — with one node the two
/// pumps of <see cref="SingleNodeForwarder"/>, with several the replication loop (<c>.Replication.cs</c>), for a
/// replication connection the walsender relay (<c>.WalSender.cs</c>) — and the teardown that resets and caches
/// the backend (<c>.Teardown.cs</c>).
/// </summary>
internal sealed partial class ClientSession : IAdminSession, IReplicationClient, IForwardedSession
{
    private IConnectionTransport _client; // replaced once, by the TLS transport, during the startup phase
    private readonly ISessionServices _runtime;
    private readonly ILogger _logger;
    private readonly IPAddress? _remoteIp;
    private readonly AdminCommandRewriter _admin;
    private readonly long _acceptedAt;
    private BackendConnection? _backend;
    private SingleNodeForwarder? _forwarder; // the query phase with a single node, once it started

    /// <summary>Environment.TickCount64 of the client's last bytes, for <c>client_idle_limit</c>.</summary>
    private long _lastClientActivity;
    private int _endReason;
    private bool _holdsSlot;

    public ClientSession(IConnectionTransport client, string remoteAddress, IPAddress? remoteIp, ISessionServices runtime)
    {
        _client = client;
        _remoteIp = remoteIp;
        _runtime = runtime;
        _admin = new AdminCommandRewriter(this, runtime.Admin);
        RemoteAddress = remoteAddress;
        _logger = runtime.LoggerFactory.CreateLogger("Pgproxy.Sessions");
        ConnectedAt = runtime.Time.GetUtcNow();
        _lastClientActivity = Environment.TickCount64;
        _acceptedAt = runtime.Time.GetTimestamp();
    }

    public string RemoteAddress { get; }

    public DateTimeOffset ConnectedAt { get; }

    public string User { get; private set; } = "";

    public string Database { get; private set; } = "";

    /// <summary>
    /// The process id pgproxy gave this client in BackendKeyData: main's backend pid when the session started
    /// (0 until then). It stays the same when the session's backend changes.
    /// </summary>
    public int CancelProcessId { get; private set; }

    public int CancelSecretKey { get; private set; }

    /// <summary>The backend connection currently serving this client, if any.</summary>
    public BackendConnection? Backend => _backend;

    public SessionEndReason EndReason => (SessionEndReason)Volatile.Read(ref _endReason);

    /// <summary>Runs the session to its end; never throws.</summary>
    public async Task RunAsync()
    {
        // authentication_timeout counts from the accept: a session task that waited for a thread under a flood has
        // had its time already, and a connection that never sends a byte is bounded like one that stalls later.
        using var startup = new StartupDeadline(_runtime.Time, _acceptedAt, _runtime.Options.AuthenticationTimeout,
            _runtime.Shutdown.Token);
        try
        {
            BeginAuthentication(startup);
            if (await StartupAsync(startup))
            {
                await ForwardAsync();
            }
        }
        catch (ProtocolViolationException e)
        {
            Log.ProtocolViolation(_logger, RemoteAddress, e.Message);
            await TrySendFatalAsync(SqlState.ProtocolViolation, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException
                                      or InvalidOperationException)
        {
            Log.SessionFailed(_logger, RemoteAddress, e.Message);
        }
        catch (Exception e)
        {
            // A bug must cost one session, never the process.
            Log.SessionCrashed(_logger, e, RemoteAddress);
            await TrySendFatalAsync(SqlState.InternalError, "pgproxy internal error: " + e.Message);
        }
        finally
        {
            EndAuthentication();
            await TeardownAsync();
        }
    }

    /// <summary>
    /// Asks the session to end from outside (idle limit, fast shutdown): the client pump wakes up at once and
    /// the client is told why. The first reason wins.
    /// </summary>
    public void Kill(SessionEndReason reason)
    {
        if (Interlocked.CompareExchange(ref _endReason, (int)reason, (int)SessionEndReason.None) ==
            (int)SessionEndReason.None)
        {
            _client.Input.CancelPendingRead();
        }
    }

    /// <summary>
    /// True when <c>client_idle_limit</c> has passed since the client last sent anything and no query of its is
    /// still running (a long query is not idleness). A replication consumer waiting for changes is not idle either:
    /// main's wal_sender_timeout ends one that is dead.
    /// </summary>
    public bool IsIdleBeyond(int limitSeconds, long now) =>
        limitSeconds > 0 && _backend is not null && !IsWalSender && (_forwarder?.IsWaitingForClient ?? true)
        && (_replication is null || _replication.WaitingForClient)
        && now - Volatile.Read(ref _lastClientActivity) >= limitSeconds * 1000L;

    private bool TrySetEndReason(SessionEndReason reason) =>
        Interlocked.CompareExchange(ref _endReason, (int)reason, (int)SessionEndReason.None) ==
        (int)SessionEndReason.None;

    bool IForwardedSession.TrySetEndReason(SessionEndReason reason) => TrySetEndReason(reason);

    Task IForwardedSession.TrySendFatalAsync(string sqlState, string message) => TrySendFatalAsync(sqlState, message);

    Task IForwardedSession.TellClientWhyAsync(SessionEndReason end) => TellClientWhyAsync(end);

    private async Task TrySendFatalAsync(string sqlState, string message)
    {
        try
        {
            BackendMessageWriter.WriteErrorResponse(_client.Output, "FATAL", sqlState, message);
            await _client.Output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            // The client is already gone; there is nobody left to tell.
        }
    }
}
