using System.IO.Pipelines;
using Pgproxy.Protocol.Messages;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Backends;

/// <summary>
/// One connection from pgproxy to one PostgreSQL node, after its startup: the pipes, the backend's own cancel
/// key, the parameters it reported, and the bookkeeping the connection cache needs. A session owns it while
/// the client is connected; otherwise it sits idle in the <see cref="BackendPool"/>.
/// </summary>
internal sealed partial class BackendConnection : IAsyncDisposable
{
    private readonly IConnectionTransport _pipe;
    private readonly List<KeyValuePair<string, string>> _parameters = [];

    /// <summary>Ties the connection to its node's life (<see cref="AbortWhenDown"/>); undone on dispose.</summary>
    private CancellationTokenRegistration _nodeDown;

    internal BackendConnection(IConnectionTransport pipe, int nodeId, BackendEndpoint endpoint, BackendPoolKey key)
    {
        _pipe = pipe;
        NodeId = nodeId;
        Endpoint = endpoint;
        Key = key;
        CreatedAt = Environment.TickCount64;
    }

    public int NodeId { get; }

    public BackendEndpoint Endpoint { get; }

    public BackendPoolKey Key { get; }

    /// <summary>Milliseconds since boot when the connection was opened (for <c>connection_life_time</c>).</summary>
    public long CreatedAt { get; }

    /// <summary>Milliseconds since boot when the connection last went back to the cache.</summary>
    public long ReturnedAt { get; set; }

    /// <summary>Times a client was handed this connection from the cache (pgpool's pool_counter is this + 1).</summary>
    public int Reuses { get; set; }

    public PipeReader Input => _pipe.Input;

    public PipeWriter Output => _pipe.Output;

    /// <summary>The backend's real process id, as needed to forward a CancelRequest.</summary>
    public int ProcessId { get; private set; }

    public int SecretKey { get; private set; }

    /// <summary>Status from the last ReadyForQuery seen on this connection.</summary>
    public TransactionStatus TransactionStatus { get; set; } = TransactionStatus.Idle;

    /// <summary>Keeps a client's cancel off a BEGIN pgproxy sent (replication mode).</summary>
    public CancelHold CancelHold { get; } = new();

    /// <summary>ParameterStatus values as last reported, in the order PostgreSQL first sent them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters => _parameters;

    /// <summary>Set when the connection must not go back to the cache (I/O error, unsynced state, failed reset).</summary>
    public bool IsBroken { get; set; }

    /// <summary>
    /// This backend's transaction defaults as every reset leaves them (its role's, its database's, its startup
    /// options'); null until a session asked (MainCatalog).
    /// </summary>
    public TransactionDefaults? ResetTransactionDefaults { get; set; }

    /// <summary>
    /// The major version in the server_version the backend reported (15 for "15.8 (Debian …)"); 0 if none. Read
    /// as the parameter arrives, not per use: a replicated transaction asks for it (HeldScript).
    /// </summary>
    public int ServerMajorVersion { get; private set; }

    /// <summary>Records a ParameterStatus so that the next client handed this connection sees the current value.</summary>
    public void SetParameter(string name, string value)
    {
        if (name == "server_version")
        {
            ServerMajorVersion = MajorVersion(value);
        }

        for (var i = 0; i < _parameters.Count; i++)
        {
            if (_parameters[i].Key == name)
            {
                _parameters[i] = new(name, value);
                return;
            }
        }

        _parameters.Add(new(name, value));
    }

    private static int MajorVersion(string version)
    {
        var digits = 0;
        while (digits < version.Length && char.IsAsciiDigit(version[digits]))
        {
            digits++;
        }

        return digits > 0 && int.TryParse(version.AsSpan(0, digits), out var major) ? major : 0;
    }

    /// <summary>
    /// True when the idle connection still looks alive: the socket is open and PostgreSQL has sent nothing since
    /// the reset (an idle backend only speaks when it is being terminated).
    /// </summary>
    public bool LooksIdleAndAlive()
    {
        if (IsBroken)
        {
            return false;
        }

        return _pipe.LooksIdleAndAlive();
    }

    /// <summary>Fails pending reads and writes at once; used when the session is torn down abruptly.</summary>
    public void Abort()
    {
        IsBroken = true;
        _pipe.Abort();
    }

    /// <summary>
    /// Aborts the connection as soon as <paramref name="nodeDown"/> (the node's <see cref="BackendNode.DownToken"/>
    /// when the connection was opened) fires, at once when it already has. Whatever waits on the connection — a
    /// session reading a reply, or a flush towards a node that stopped reading — then fails as on a lost socket,
    /// which the session already handles as that node's failure. Registered once for the connection's life, cached
    /// or not, so the query path pays nothing.
    /// </summary>
    public void AbortWhenDown(CancellationToken nodeDown)
    {
        if (_nodeDown.Token.CanBeCanceled)
        {
            return; // already tied
        }

        _nodeDown = nodeDown.UnsafeRegister(static state => ((BackendConnection)state!).Abort(), this);
    }

    public ValueTask DisposeAsync()
    {
        // Dispose waits for a callback that is running on another thread; Abort is one system call, so that is short.
        _nodeDown.Dispose();
        return _pipe.DisposeAsync();
    }
}
