namespace Pgproxy.Core.Recovery;

/// <summary>
/// A recovery that cannot go on, with the sentence the administrator reads: thrown inside the recovery only and
/// turned into a failed <see cref="RecoveryOutcome"/> by <see cref="NodeRecovery.RunAsync"/>.
/// </summary>
internal sealed class RecoveryFailure : Exception
{
    public RecoveryFailure(string message)
        : base(message)
    {
    }

    public RecoveryFailure(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RecoveryFailure()
    {
    }
}
