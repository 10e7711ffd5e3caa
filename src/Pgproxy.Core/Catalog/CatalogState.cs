namespace Pgproxy.Core.Catalog;

/// <summary>
/// How the catalog is doing, for <c>SHOW POOL_STATUS</c>-style reports and tests: whether the system DB is
/// connected, the last error and when it happened, and the events still waiting to be written. Written by the
/// <see cref="CatalogWriter"/> only; read from anywhere.
/// </summary>
internal sealed class CatalogState
{
    private volatile string _description = "";
    private volatile bool _connected;
    private volatile string? _lastError;
    private long _lastErrorTicks;
    private int _schemaVersion;
    private int _pendingEvents;
    private long _writtenEvents;
    private long _droppedEvents;
    private volatile string? _statusFileError;

    /// <summary>Where the system DB is (user@host:port/db and schema), without the password.</summary>
    public string Description
    {
        get => _description;
        internal set => _description = value;
    }

    /// <summary>True while the writer holds a working, migrated connection to the system DB.</summary>
    public bool Connected => _connected;

    /// <summary>The last error talking to the system DB (kept after it recovers, until the next error).</summary>
    public string? LastError => _lastError;

    /// <summary>When <see cref="LastError"/> happened; null when none did.</summary>
    public DateTimeOffset? LastErrorAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastErrorTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The schema version found or created in the system DB; 0 until connected once.</summary>
    public int SchemaVersion => Volatile.Read(ref _schemaVersion);

    /// <summary>Status events waiting for the system DB (queued while it is unreachable).</summary>
    public int PendingEvents => Volatile.Read(ref _pendingEvents);

    /// <summary>Status events written to <c>node_events</c> since start.</summary>
    public long WrittenEvents => Interlocked.Read(ref _writtenEvents);

    /// <summary>
    /// Status events lost because the queue was full during a long outage (the status file is right all the same).
    /// </summary>
    public long DroppedEvents => Interlocked.Read(ref _droppedEvents);

    /// <summary>The last failure writing the status file, or null when the last write succeeded.</summary>
    public string? StatusFileError => _statusFileError;

    internal void SetConnected(int schemaVersion)
    {
        Volatile.Write(ref _schemaVersion, schemaVersion);
        _connected = true;
    }

    internal void SetFailed(string error, DateTimeOffset at)
    {
        _connected = false;
        _lastError = error;
        Interlocked.Exchange(ref _lastErrorTicks, at.UtcTicks);
    }

    internal void SetPending(int count) => Volatile.Write(ref _pendingEvents, count);

    internal void AddWritten(int count) => Interlocked.Add(ref _writtenEvents, count);

    internal void AddDropped(int count) => Interlocked.Add(ref _droppedEvents, count);

    internal void SetStatusFileError(string? error) => _statusFileError = error;
}
