using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// For COMMIT/ROLLBACK AND CHAIN, the BEGIN to defer again on the nodes the ending transaction never reached
    /// (<see cref="TransactionChain"/>): the chained transaction has that BEGIN's modes, so it must open there with
    /// them, not under the session's defaults. Empty when every node was reached; null for an end that does not chain.
    /// Read before <see cref="StartedLinks"/> clears the deferred BEGINs.
    /// </summary>
    private byte[]? ChainedBegin(ReadOnlySpan<byte> frame)
    {
        if (!TransactionChain.Chains(OthersFrames.QueryText(frame)))
        {
            return null;
        }

        foreach (var link in _nodes.All)
        {
            if (SessionLinks.IsLive(link) && link.PendingBegin is { } begin)
            {
                return begin;
            }
        }

        return [];
    }

    /// <summary>
    /// After a chained end that chained (the answering node is in the new transaction; a failed COMMIT AND CHAIN
    /// chains nothing): the nodes still idle, where the deferred BEGIN never went out, get it deferred again, so the
    /// chained transaction reaches them with its modes, as it did the others.
    /// </summary>
    private void RedeferChainedBegin(byte[]? chain, NodeLink answering)
    {
        if (chain is not { Length: > 0 } || answering.Status == TransactionStatus.Idle)
        {
            return;
        }

        foreach (var link in _nodes.All)
        {
            if (SessionLinks.IsLive(link) && link.Status == TransactionStatus.Idle)
            {
                link.PendingBegin = chain;
            }
        }
    }

    /// <summary>What the others get for a client's COMMIT of a failed transaction: ROLLBACK, chained like it.</summary>
    private static byte[] OthersRollback(byte[]? chain) =>
        chain is null ? InjectedQueries.Rollback : InjectedQueries.RollbackAndChain;

    /// <summary>
    /// The end of a transaction no node has seen, answered as PostgreSQL would. A chained one keeps its deferred
    /// BEGIN for the chained transaction, which is the client's from now on.
    /// </summary>
    private void AnswerEndAlone(StatementKind kind, byte[]? chain)
    {
        var tag = kind == StatementKind.Rollback || _state.Status == TransactionStatus.Failed ? "ROLLBACK" : "COMMIT";
        BackendMessageWriter.WriteCommandComplete(_clientOutput, tag);
        if (chain is not { Length: > 0 })
        {
            _host.FinishRequest(_nodes.Main); // every node is idle
            return;
        }

        foreach (var link in _nodes.All)
        {
            if (SessionLinks.IsLive(link))
            {
                link.PendingBegin = chain;
            }
        }

        _state.Status = TransactionStatus.InTransaction;
        if (!InScript)
        {
            BackendMessageWriter.WriteReadyForQuery(_clientOutput, TransactionStatus.InTransaction);
        }
    }
}
