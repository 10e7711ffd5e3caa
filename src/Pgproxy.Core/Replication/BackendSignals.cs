namespace Pgproxy.Core.Replication;

/// <summary>
/// Counts the statements that called <c>pg_terminate_backend</c>, proxy-wide. Such a call runs on main alone (the
/// pid is main's), so only the session whose main backend it ended learns of it, and only when it next talks to
/// main: a read balanced to another node would still be answered, where PostgreSQL would end the session with
/// 57P01 (Npgsql's PhysicalConnectionInitializer_*_with_break). Each session sends its first read after a new count
/// to main, which answers with the FATAL if the session was the one ended; the others lose one balanced read.
/// </summary>
internal sealed class BackendSignals
{
    private long _terminations;

    /// <summary>How many terminating statements have finished so far.</summary>
    public long Terminations => Interlocked.Read(ref _terminations);

    /// <summary>A statement calling pg_terminate_backend has run (its answer is in).</summary>
    public void Terminated() => Interlocked.Increment(ref _terminations);
}
