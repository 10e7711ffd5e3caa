using System.Buffers;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// The client's PREPARE TRANSACTION (see <see cref="ClientPrepare"/>): the others prepare first, and the node
    /// answering the client only once they all did; if it then refuses, the others' prepared transactions are
    /// rolled back, so no node keeps one the client was told failed.
    /// </summary>
    private async Task PrepareTransactionAsync(ReadOnlyMemory<byte> frame, NodeLink answering, NodeLink[] others,
        string gid)
    {
        var prepare = new ClientPrepare(_write);
        foreach (var other in others)
        {
            other.Node.Statistics.CountStatement(Metrics.StatementClass.Transaction);
        }

        if (await prepare.RefusedByOthersAsync(answering, others, frame, gid))
        {
            _host.FinishRequest(answering);
            return;
        }

        _host.AnnounceStatement(answering, frame.Span);
        answering.Output.Write(frame.Span);
        answering.Summary.Clear();
        var end = new QueryEnd(this, frame, othersRollback: null, commits: true, twoPhase: false);
        if (!await _write.CompleteEndAsync(answering, [], end) && answering.Summary.HasError)
        {
            await prepare.RollBackPreparedAsync(others, gid);
        }

        _host.FinishRequest(answering);
    }
}
