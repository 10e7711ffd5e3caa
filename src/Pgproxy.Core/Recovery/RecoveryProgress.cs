namespace Pgproxy.Core.Recovery;

/// <summary>
/// Where a running recovery is, for SHOW POOL_RECOVERY and the CLI's progress bar: written by the recovery, read by
/// anyone at any time (one lock, the values are small).
/// </summary>
internal sealed class RecoveryProgress(TimeProvider? time = null)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _startedTimestamp;
    private string _phase = "pending";
    private string _detail = "";
    private int _tablesCopied;
    private int _tablesTotal;
    private long _bytesCopied;
    private long _lagBytes;
    private DateTimeOffset? _startedAt;
    private TimeSpan? _finishedAfter;
    private string? _lastError;

    public string Phase
    {
        get { lock (_lock) { return _phase; } }
    }

    public string Detail
    {
        get { lock (_lock) { return _detail; } }
    }

    public int TablesCopied
    {
        get { lock (_lock) { return _tablesCopied; } }
    }

    public int TablesTotal
    {
        get { lock (_lock) { return _tablesTotal; } }
    }

    public long BytesCopied
    {
        get { lock (_lock) { return _bytesCopied; } }
    }

    /// <summary>Bytes of main's WAL the node has not applied yet (-1 before the catch-up starts).</summary>
    public long LagBytes
    {
        get { lock (_lock) { return _lagBytes; } }
    }

    public DateTimeOffset? StartedAt
    {
        get { lock (_lock) { return _startedAt; } }
    }

    /// <summary>Time since the start, frozen when the recovery ended.</summary>
    public TimeSpan Elapsed
    {
        get
        {
            lock (_lock)
            {
                return _finishedAfter ?? (_startedAt is null ? TimeSpan.Zero : _time.GetElapsedTime(_startedTimestamp));
            }
        }
    }

    public string? LastError
    {
        get { lock (_lock) { return _lastError; } }
    }

    public bool Finished
    {
        get { lock (_lock) { return _finishedAfter is not null; } }
    }

    internal void Start()
    {
        lock (_lock)
        {
            _startedAt = _time.GetUtcNow();
            _startedTimestamp = _time.GetTimestamp();
            _finishedAfter = null;
            _lastError = null;
            _lagBytes = -1;
        }
    }

    internal void SetPhase(string phase, string detail = "")
    {
        lock (_lock)
        {
            _phase = phase;
            _detail = detail;
        }
    }

    internal void SetDetail(string detail)
    {
        lock (_lock) { _detail = detail; }
    }

    internal void SetCopy(int copied, int total, long bytes)
    {
        lock (_lock)
        {
            _tablesCopied = copied;
            _tablesTotal = total;
            _bytesCopied = bytes;
        }
    }

    internal void SetLag(long bytes)
    {
        lock (_lock) { _lagBytes = bytes; }
    }

    internal void SetError(string error)
    {
        lock (_lock) { _lastError = error; }
    }

    internal void Finish(string phase)
    {
        lock (_lock)
        {
            _phase = phase;
            _finishedAfter = _startedAt is null ? TimeSpan.Zero : _time.GetElapsedTime(_startedTimestamp);
        }
    }
}
