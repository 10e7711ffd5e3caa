using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// For COMMIT/ROLLBACK AND CHAIN, the BEGIN to defer again on the nodes the ending transaction never reached
    /// (<see cref="TransactionChain"/>): the chained transaction has that BEGIN's modes, so it must open there with
    /// them, not under the session's defaults. Empty when every node was reached; null for an end that does not chain.
    /// Read before <see cref="StartedLinks"/> clears the deferred BEGINs.
    /// </summary>
    private byte[]? ChainedBegin(ReadOnlySpan<byte> frame)
    {
        if (!TransactionChain.Chains(QueryText(frame)))
        {
            return null;
        }

        foreach (var link in _links)
        {
            if (IsLive(link) && link.PendingBegin is { } begin)
            {
                return begin;
            }
        }

        return [];
    }

    /// <summary>
    /// After a chained end: the nodes still idle (the deferred BEGIN never went out there) get it deferred again, so
    /// the chained transaction reaches them with its modes, as it did the others.
    /// </summary>
    private void RedeferChainedBegin(byte[]? chain)
    {
        if (chain is not { Length: > 0 })
        {
            return;
        }

        foreach (var link in _links)
        {
            if (IsLive(link) && link.Status == TransactionStatus.Idle)
            {
                link.PendingBegin = chain;
            }
        }
    }

    /// <summary>
    /// A chained end of a transaction no node has seen: PostgreSQL's answer, and the same deferred BEGIN stays for
    /// the chained transaction, which is the client's from now on.
    /// </summary>
    private void AnswerChainedEndAlone(StatementKind kind, byte[] chain)
    {
        var tag = kind == StatementKind.Rollback || _clientStatus == TransactionStatus.Failed ? "ROLLBACK" : "COMMIT";
        RedeferChainedBegin(chain);
        BackendMessageWriter.WriteCommandComplete(_client.Output, tag);
        _clientStatus = TransactionStatus.InTransaction;
        if (!_inScript)
        {
            BackendMessageWriter.WriteReadyForQuery(_client.Output, TransactionStatus.InTransaction);
        }
    }
}
