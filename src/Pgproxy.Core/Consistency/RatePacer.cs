namespace Pgproxy.Core.Consistency;

/// <summary>
/// Holds one node's reading to <c>rowsPerSecond</c> (0 = no limit): after each chunk it waits until the rows read
/// since the first chunk, over the time since then, are within the rate. The wait goes through the TimeProvider so
/// a test can drive it with a manual clock.
/// </summary>
internal sealed class RatePacer(long rowsPerSecond, TimeProvider time)
{
    private long _started = -1;
    private long _rows;

    /// <summary>Rows read so far through this pacer.</summary>
    public long Rows => _rows;

    /// <summary>How long to wait now, <paramref name="rows"/> more rows having been read.</summary>
    public TimeSpan Record(long rows)
    {
        if (_started < 0)
        {
            _started = time.GetTimestamp();
        }

        _rows += rows;
        if (rowsPerSecond <= 0)
        {
            return TimeSpan.Zero;
        }

        var due = TimeSpan.FromSeconds((double)_rows / rowsPerSecond);
        var wait = due - time.GetElapsedTime(_started);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>Records <paramref name="rows"/> and waits as long as the rate asks.</summary>
    public async Task PaceAsync(long rows, CancellationToken cancellationToken)
    {
        var wait = Record(rows);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <summary>Starts the clock, so the first chunk's own reading time counts toward the rate.</summary>
    public void Start()
    {
        if (_started < 0)
        {
            _started = time.GetTimestamp();
        }
    }
}
