namespace Pgproxy.Core.Recovery;

/// <summary>One recovery started by PGPROXY RECOVER NODE or the CLI: its progress, then its outcome and verification.</summary>
internal sealed class RecoveryRun(RecoveryRequest request, RecoveryProgress progress)
{
    public RecoveryRequest Request { get; } = request;

    public RecoveryProgress Progress { get; } = progress;

    /// <summary>Null while running.</summary>
    public RecoveryOutcome? Outcome { get; set; }

    /// <summary>
    /// Null while running; else why the recovery failed — including a check after the attach that found the node
    /// different from main (it is then taken out again).
    /// </summary>
    public string? Error { get; set; }

    public bool Done { get; set; }

    public string State => !Done ? "running" : Error is null ? "succeeded" : "failed";
}
