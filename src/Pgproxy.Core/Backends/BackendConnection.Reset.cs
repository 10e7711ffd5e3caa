using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Backends;

internal sealed partial class BackendConnection
{
    /// <summary>
    /// Runs <c>reset_query_list</c> so the next client starts from a clean session. Like pgpool, <c>ABORT</c> is
    /// sent only when a transaction is open. The statements are pipelined (one write, one round trip) but sent as
    /// separate Query messages, because <c>DISCARD ALL</c> refuses to run inside a multi-statement string.
    /// Returns false when the connection should not be cached (an error, a lost socket).
    /// </summary>
    public async Task<bool> ResetAsync(IReadOnlyList<string> resetQueries, CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            return false;
        }

        var sent = 0;
        foreach (var query in resetQueries)
        {
            if (TransactionStatus == TransactionStatus.Idle && IsAbort(query))
            {
                continue;
            }

            FrontendMessageWriter.WriteQuery(Output, query);
            sent++;
        }

        if (sent == 0)
        {
            return true;
        }

        await Output.FlushAsync(cancellationToken);
        var ok = true;
        while (sent > 0)
        {
            var message = await WholeMessageReader.ReadAsync(Input, cancellationToken);
            if (message is not { } m)
            {
                IsBroken = true;
                return false;
            }

            switch ((BackendMessageType)m.Type)
            {
                case BackendMessageType.ErrorResponse:
                    ok = false;
                    break;
                case BackendMessageType.ParameterStatus:
                    var (name, value) = ParameterStatusMessage.Read(m.Body);
                    SetParameter(name, value);
                    break;
                case BackendMessageType.ReadyForQuery:
                    TransactionStatus = ReadyForQueryMessage.Read(m.Body);
                    sent--;
                    break;
                default:
                    break;
            }
        }

        return ok && TransactionStatus == TransactionStatus.Idle;
    }

    /// <summary>Says goodbye politely (Terminate) and closes; errors are irrelevant at this point.</summary>
    public async Task TerminateAsync()
    {
        try
        {
            if (!IsBroken)
            {
                FrontendMessageWriter.WriteTerminate(Output);
                await Output.FlushAsync();
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The backend is gone already; closing is all that is left.
        }

        await DisposeAsync();
    }

    private static bool IsAbort(string query) =>
        query.Equals("ABORT", StringComparison.OrdinalIgnoreCase) ||
        query.Equals("ROLLBACK", StringComparison.OrdinalIgnoreCase);
}
