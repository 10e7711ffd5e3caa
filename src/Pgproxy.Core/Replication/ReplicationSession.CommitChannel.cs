using System.Buffers;

namespace Pgproxy.Core.Replication;

/// <summary>The session as the commit protocol sees it (see <see cref="ICommitChannel"/>).</summary>
internal sealed partial class ReplicationSession : ICommitChannel
{
    ValueTask<ReplyEnd> ICommitChannel.ReadRepliesAsync(NodeLink link, bool forward, bool summarize, ReplyStop stop) =>
        ReadRepliesAsync(link, forward, summarize, stop);

    ValueTask ICommitChannel.FlushAsync(NodeLink link) => FlushLinkAsync(link);

    Task ICommitChannel.FlushOthersAsync(NodeLink[] others) => FlushOthersAsync(others);

    Task ICommitChannel.DrainOthersAsync(NodeLink[] others) => DrainOthersAsync(others);

    void ICommitChannel.Degenerate(NodeLink link, string reason) => _nodes.Degenerate(link, reason);

    bool ICommitChannel.HasLiveOthers => HasLiveOthers();

    void ICommitChannel.HoldAnswer(bool keepUntilResult) => HoldAnswer(keepUntilResult);

    void ICommitChannel.AnswerWithError(string sqlState, string message) => WriteClientError(sqlState, message);

    void ICommitChannel.AnswerWithNodeError(byte[] errorFrame)
    {
        _answer.DropResult();
        _replies.ClientErrors++;
        _client.Output.Write(errorFrame);
    }
}
