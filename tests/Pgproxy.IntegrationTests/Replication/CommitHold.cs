using Pgproxy.Core.Replication;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Holds the next two-phase commit between main's COMMIT and the others' COMMIT PREPARED (the test hook
/// <see cref="TwoPhaseCommitState.AfterMainCommit"/>): main shows the commit, the others not yet, until
/// <see cref="Release"/>. A race between the nodes' commits, made to happen every time.
/// </summary>
internal sealed class CommitHold : IDisposable
{
    private readonly TwoPhaseCommitState _state;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed = 1;

    public CommitHold(TwoPhaseCommitState state)
    {
        _state = state;
        state.AfterMainCommit = HoldAsync;
    }

    /// <summary>Done once a commit is held.</summary>
    public Task Reached => _reached.Task;

    public void Release() => _release.TrySetResult();

    public void Dispose()
    {
        Release();
        _state.AfterMainCommit = null;
    }

    private async Task HoldAsync()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _reached.TrySetResult();
            await _release.Task;
        }
    }
}
