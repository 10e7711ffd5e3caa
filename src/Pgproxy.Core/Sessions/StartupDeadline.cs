namespace Pgproxy.Core.Sessions;

/// <summary>
/// What ends a connection's startup phase early, as one token: <c>authentication_timeout</c> counted from the
/// accept (on the runtime's clock, so tests can move it), being dropped from the authenticating connections, or
/// shutdown. The first reason wins and stays, so the client is told the one that really ended it.
/// </summary>
internal sealed class StartupDeadline : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly ITimer? _timer;
    private readonly CancellationTokenRegistration _shutdown;
    private int _reason;

    /// <param name="time">The clock the timeout runs on.</param>
    /// <param name="acceptedAt">When the connection was accepted, a <paramref name="time"/> timestamp.</param>
    /// <param name="timeoutSeconds"><c>authentication_timeout</c>; 0 or less never times out.</param>
    /// <param name="shutdown">Cancelled when a fast or immediate shutdown starts.</param>
    public StartupDeadline(TimeProvider time, long acceptedAt, int timeoutSeconds, CancellationToken shutdown)
    {
        if (timeoutSeconds > 0)
        {
            var left = TimeSpan.FromSeconds(timeoutSeconds) - time.GetElapsedTime(acceptedAt);
            _timer = time.CreateTimer(static state => ((StartupDeadline)state!).End(StartupEnd.Timeout), this,
                left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        _shutdown = shutdown.Register(static state => ((StartupDeadline)state!).End(StartupEnd.Shutdown), this);
    }

    public CancellationToken Token => _source.Token;

    public StartupEnd Reason => (StartupEnd)Volatile.Read(ref _reason);

    /// <summary>Ends the startup for <paramref name="reason"/> unless it already ended for another one.</summary>
    public void End(StartupEnd reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)StartupEnd.None) != (int)StartupEnd.None)
        {
            return;
        }

        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The startup finished in the meantime; nothing is waiting on the token any more.
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _shutdown.Dispose();
        _source.Dispose();
    }
}
