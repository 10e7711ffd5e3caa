using Pgproxy.Core.Determinism;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// The copy-ins of a replicated Query (DESIGN §3.6): main answered CopyInResponse and the others have the Query
    /// too. One Query string can go into copy-in more than once (<c>copy a from stdin; copy b from stdin</c>, or
    /// <c>select 1; copy a from stdin; select 2</c>): after CopyDone main answers the next statement, which may be
    /// another CopyInResponse rather than ReadyForQuery. Each one goes to the client at once (it cannot send the
    /// data without it) and that copy's data streams to every node, which all run the same string in the same
    /// order; main's answer up to its ReadyForQuery is held again for the comparison with the others.
    /// </summary>
    /// <param name="main">The node that answers the client, already in its first copy-in.</param>
    /// <param name="others">The other nodes, which got the Query right behind main's CopyInResponse.</param>
    /// <param name="appender">
    /// Main's values of left-out defaults for the first COPY: the plan is made for the string's first statement
    /// (the only one whose table is looked up), so a later COPY of the string streams as sent.
    /// </param>
    private async Task CopyQueryInAsync(NodeLink main, NodeLink[] others, CopyRowAppender? appender)
    {
        do
        {
            _answer.Release(); // the client needs main's CopyInResponse to send the data
            await _clientOutput.FlushAsync();
            await _copyIn.RelayAsync([main, .. others], main, appender);
            appender = null;
            _write.HoldAnswer(keepUntilResult: false);
        }
        while (await _replies.ReadAsync(main, forward: true, summarize: true, ReplyStop.UntilReady) == ReplyEnd.CopyIn);
    }
}
