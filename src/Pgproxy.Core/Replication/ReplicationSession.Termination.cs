using System.Buffers;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A session's backend ended with FATAL 57P0x (issue 16 item 14). PostgreSQL sends the same 57P01 "terminating
/// connection due to administrator command" to one backend ended by <c>pg_terminate_backend</c> and to every
/// backend at <c>pg_ctl stop -m fast</c>, and the two must end differently: a node shutting down is taken out for
/// every session (DESIGN §5), one terminated backend is only its session's loss — the client gets PostgreSQL's
/// FATAL and its connection ends, as it would directly, and nobody else loses a node.
///
/// Why probe at once rather than always end the session and leave the node to the health check: a fast shutdown
/// would then drop every client connected through pgproxy (DESIGN §5 promises they carry on with the nodes left)
/// and leave a stopped node up until the next check. A new connection to the node decides it: a postmaster that is
/// shutting down refuses connections (57P03) from before it signals its backends, and a stopped one is not listening.
///
/// Why end the session even when the terminated backend was not main's: the session holds one backend per node and
/// sends every write to all of them; going on without one node for this session only would leave that node without
/// the session's later writes. Ending the session rolls back whatever the session has open on every node — safe,
/// except once main's COMMIT is on its way (<see cref="WritePath.CommitInFlight"/>): the node may then lack what main commits,
/// so it is taken out as before, as a node whose COMMIT failed where main's succeeded. Two-phase commit needs no such
/// exception: what the others prepared is ended as main decided by <see cref="PreparedTransactionResolver"/>.
/// </summary>
internal sealed partial class ReplicationSession
{
    /// <summary>
    /// What a node's FATAL 57P0x means: a <see cref="NodeFailureException"/> when the node is going away (or its
    /// COMMIT was in flight), which takes it out as any lost node; else <paramref name="terminated"/> itself, which
    /// ends only this session.
    /// </summary>
    private async Task<Exception> JudgeTerminationAsync(BackendTerminatedException terminated)
    {
        var link = terminated.Link;
        var why = link.Node.Status == Backends.BackendStatus.Down
            ? "it was taken out: " + link.Node.LastStatusReason
            : await NodeShutdownProbe.WhyGoingAwayAsync(_runtime.BackendConnector, link.Node, link.Backend.Key,
                _session.BackendCredential, _runtime.Options.ConnectTimeout, _runtime.Shutdown.Token);
        if (why is not null)
        {
            return new NodeFailureException(link,
                $"backend node {link.NodeId} is going away: {terminated.Message} ({why})", terminated);
        }

        if (_write.CommitInFlight)
        {
            return new NodeFailureException(link,
                $"backend node {link.NodeId} ended this session's connection while committing, so it may lack what " +
                $"main committed: {terminated.Message}", terminated);
        }

        Log.BackendTerminated(_logger, link.NodeId, terminated.Message);
        return terminated;
    }

    /// <summary>
    /// Ends the session for a terminated backend: what main answered to the lost request is dropped (its transaction
    /// rolls back as the connections close), and the client gets the node's FATAL.
    /// </summary>
    private async Task<SessionEndReason> EndTerminatedSessionAsync(BackendTerminatedException terminated)
    {
        _answer.DropResult();
        _client.Output.Write(terminated.ErrorFrame);
        try
        {
            await _client.Output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            // The client is gone as well; there is nobody left to tell.
        }

        return SessionEndReason.BackendLost;
    }

    public bool TerminatesBackends { private get; set; }

    /// <summary>pg_terminate_backend calls seen when this session last asked (see BackendSignals).</summary>
    private long _seenTerminations;

    /// <summary>The request just answered called pg_terminate_backend: tell every session (see BackendSignals).</summary>
    private void NoteTerminations()
    {
        if (TerminatesBackends)
        {
            TerminatesBackends = false;
            _runtime.Signals.Terminated();
        }
    }

    /// <summary>
    /// A backend was terminated since this session last looked: the next read goes to main, which ends the session
    /// with 57P01 as PostgreSQL would if the backend was this session's (see BackendSignals).
    /// </summary>
    private bool MainMayBeTerminated()
    {
        var terminations = _runtime.Signals.Terminations;
        if (terminations == _seenTerminations)
        {
            return false;
        }

        _seenTerminations = terminations;
        return true;
    }
}
