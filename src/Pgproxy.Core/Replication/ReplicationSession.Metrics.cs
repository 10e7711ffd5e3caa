using System.Diagnostics;
using Pgproxy.Core.Metrics;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// How the request being served was routed: counted for every node it is sent to (see AnnounceStatement)
    /// and, with its latency, once it is answered.
    /// </summary>
    public StatementClass RequestClass { get; set; }

    /// <summary>Notes the start of a request the client just sent (the class is refined once it is routed).</summary>
    private long StartRequest(ClientAction action)
    {
        RequestClass = action == ClientAction.FunctionCall ? StatementClass.Write : StatementClass.Read;
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Records the latency of a request from the moment it was taken to its ReadyForQuery written to the client;
    /// a Flush-ended group has no ReadyForQuery and is not a finished request.
    /// </summary>
    private void FinishRequestMetrics(ClientAction action, long started)
    {
        if (action is ClientAction.Query or ClientAction.Sync or ClientAction.FunctionCall)
        {
            _runtime.Metrics.RecordStatement(RequestClass, started);
        }
    }

}
