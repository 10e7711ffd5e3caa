using Pgproxy.Core.Config;

namespace Pgproxy.Core.Backends;

/// <summary>
/// The long-lived runtime object for one configured node: its current configuration (swapped whole on reload),
/// its status and counters. Sessions read it without locks.
/// </summary>
internal sealed class BackendNode
{
    private volatile BackendConfig _config;
    private volatile BackendEndpoint _endpoint;
    private long _selectCount;
    private int _status;
    private long _lastStatusChangeTicks;

    public BackendNode(BackendConfig config, TimeProvider time)
    {
        _config = config;
        _endpoint = BackendEndpoint.From(config);
        _status = (int)BackendStatus.Waiting;
        _lastStatusChangeTicks = time.GetUtcNow().UtcTicks;
    }

    public int NodeId => _config.NodeId;

    public BackendConfig Config
    {
        get => _config;
        set
        {
            _config = value;
            _endpoint = BackendEndpoint.From(value);
        }
    }

    public BackendEndpoint Endpoint => _endpoint;

    public BackendStatus Status => (BackendStatus)Volatile.Read(ref _status);

    public DateTimeOffset LastStatusChange => new(Interlocked.Read(ref _lastStatusChangeTicks), TimeSpan.Zero);

    /// <summary>Statements sent to this node as its reads (pgpool's <c>select_cnt</c>).</summary>
    public long SelectCount => Interlocked.Read(ref _selectCount);

    public void CountSelect() => Interlocked.Increment(ref _selectCount);

    /// <summary>Moves to <paramref name="status"/>; returns false if the node was already there.</summary>
    public bool SetStatus(BackendStatus status, TimeProvider time)
    {
        if (Interlocked.Exchange(ref _status, (int)status) == (int)status)
        {
            return false;
        }

        Interlocked.Exchange(ref _lastStatusChangeTicks, time.GetUtcNow().UtcTicks);
        return true;
    }
}
