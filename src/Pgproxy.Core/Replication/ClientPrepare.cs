using System.Text;
using System.Text.RegularExpressions;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The client's own <c>PREPARE TRANSACTION 'gid'</c>. Whether a node can prepare depends on what its part of the
/// transaction did, and a read balanced to one node may have touched temporary objects there only (the regression
/// suite's <c>temp</c>: <c>current_schema()</c> creating the temporary schema), after which PostgreSQL refuses to
/// prepare on that node alone. Sent everywhere at once, main prepared, that node did not, and it was taken out as
/// diverged. So the others prepare first, and main only once they all did; a node that cannot prepare rolls the
/// transaction back everywhere and its error is the client's answer, as PostgreSQL gives it directly. When main
/// then refuses (its part touched temporary objects), the others' prepared transactions are rolled back.
/// </summary>
/// <param name="channel">The session's write path.</param>
internal sealed partial class ClientPrepare(ICommitChannel channel)
{
    /// <summary>The gid literal of a PREPARE TRANSACTION statement as written, or null for any other statement.</summary>
    public static string? GidOf(ReadOnlySpan<byte> queryText)
    {
        if (queryText.Length > 1024)
        {
            return null;
        }

        var match = PrepareTransaction().Match(Encoding.UTF8.GetString(queryText));
        return match.Success ? match.Groups["gid"].Value : null;
    }

    /// <summary>
    /// The others prepare <paramref name="frame"/>; true when one could not: the others that did are rolled back,
    /// <paramref name="answering"/>'s part is rolled back, and the client has that node's error (the caller writes
    /// ReadyForQuery). False when every other node prepared: <paramref name="answering"/> comes next.
    /// </summary>
    public async Task<bool> RefusedByOthersAsync(NodeLink answering, NodeLink[] others, ReadOnlyMemory<byte> frame,
        string gid)
    {
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                other.SwallowedError = null;
                other.Inject(frame.Span, InjectedReply.QueryCycle);
            }
        }

        await channel.FlushOthersAsync(others);
        await channel.DrainOthersAsync(others);
        var refused = Array.Find(others, o => !o.Detached && o.SwallowedError is not null);
        if (refused is null)
        {
            return false;
        }

        await RollBackPreparedAsync(others, gid);
        answering.SwallowedError = null;
        answering.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
        await channel.FlushAsync(answering);
        await channel.ReadRepliesAsync(answering, forward: false, summarize: false, ReplyStop.UntilDrained);
        channel.AnswerWithNodeError(refused.SwallowedError!);
        return true;
    }

    /// <summary>ROLLBACK PREPARED on every other node that prepared the transaction (its PREPARE did not fail).</summary>
    public async Task RollBackPreparedAsync(NodeLink[] others, string gid)
    {
        var prepared = Array.FindAll(others, o => !o.Detached && o.SwallowedError is null);
        var rollback = InjectedQueries.Encode("ROLLBACK PREPARED " + gid);
        foreach (var other in prepared)
        {
            other.Inject(rollback, InjectedReply.QueryCycle);
        }

        await channel.FlushOthersAsync(prepared);
        await channel.DrainOthersAsync(prepared);
    }

    /// <summary>PREPARE TRANSACTION followed by one string literal (any form PostgreSQL's grammar takes).</summary>
    [GeneratedRegex(@"^\s*PREPARE\s+TRANSACTION\s+(?<gid>(?:[eE]?'(?:[^']|'')*'|\$[^$]*\$.*?\$[^$]*\$))\s*;?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex PrepareTransaction();
}
