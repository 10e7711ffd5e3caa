using System.Diagnostics;
using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// A step of the recovery that wants a table lock on main and tries again each time the lock stayed held (see
/// <see cref="MainWaits"/>): between tries it says who holds the table, pauses a little longer each time, and
/// after <see cref="MainWaits.Limit"/> fails the recovery naming the holder.
/// </summary>
internal sealed class LockWait(RecoveryProgress progress)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _pauses;

    /// <summary>True once a try has had to wait.</summary>
    public bool Waited => _pauses > 0;

    /// <param name="main">A connection to main, in the database of <paramref name="table"/>.</param>
    /// <param name="table">The table whose lock the try could not get.</param>
    /// <param name="waiting">What waits, for the progress; ", held by …" follows.</param>
    /// <param name="failure">What could not be done, for the error; " for 5 min: … holds it" follows.</param>
    /// <param name="ct">Cancels the recovery.</param>
    public async Task PauseAsync(NpgsqlConnection main, string table, string waiting, string failure,
        CancellationToken ct)
    {
        var holder = await MainWaits.LockHolderAsync(main, table, ct);
        if (Stopwatch.GetElapsedTime(_started) > MainWaits.Limit)
        {
            throw new RecoveryFailure($"{failure} for {MainWaits.Limit.TotalMinutes:0} min: {holder} holds it");
        }

        progress.SetDetail($"{waiting}, held by {holder}");
        await Task.Delay(MainWaits.Pause(++_pauses), ct);
    }
}
