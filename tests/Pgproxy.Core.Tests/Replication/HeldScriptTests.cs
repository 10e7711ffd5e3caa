using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Pgproxy.Core.Replication;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// <see cref="HeldScript"/>: the statements held back for an other node go out as one Query when that is exact,
/// and the reader is given what each statement alone would have been answered.
/// </summary>
public sealed class HeldScriptTests
{
    private const string Update = "UPDATE t SET v = 1 -- a comment to the end of the line";
    private const string Insert = "INSERT INTO t VALUES (1);";

    [Fact]
    public async Task Mergeable_statements_go_out_as_one_query_a_lone_one_as_it_came()
    {
        var script = new HeldScript();
        script.Add(Query("BEGIN"), mergeable: true);
        script.Add(Query(Update), mergeable: false); // the first statement decided
        script.Add(Query(Insert), mergeable: false);
        Assert.Equal(3, script.Count);

        Assert.Equal(["Q BEGIN\n;\n" + Update + "\n;\n" + Insert], await WrittenAsync(script));
        Assert.Equal(3, script.StatementsLeft);
        Assert.Equal(0, script.Count);

        var lone = new HeldScript();
        lone.Add(Query(Update), mergeable: true);
        Assert.Equal(["Q " + Update], await WrittenAsync(lone));
        Assert.Equal(0, lone.StatementsLeft); // its own ReadyForQuery ends it
        Assert.True(lone.IsQuiet);
    }

    [Fact]
    public async Task Unmergeable_statements_go_out_one_query_each()
    {
        var script = new HeldScript();
        script.Add(Query(Update), mergeable: false);
        script.Add(Query(Insert), mergeable: true);

        Assert.Equal(["Q " + Update, "Q " + Insert], await WrittenAsync(script));
        Assert.True(script.IsQuiet);
    }

    [Fact]
    public async Task Each_statement_but_the_last_is_given_the_ready_for_query_it_would_have_had()
    {
        var script = new HeldScript();
        foreach (var sql in new[] { "BEGIN", Update, Insert })
        {
            script.Add(Query(sql), mergeable: true);
        }

        await WrittenAsync(script);
        script.Note(BackendMessageType.CommandComplete, TransactionStatus.InTransaction);
        Assert.Equal("Z T", Describe(script.Synthetic));
        script.Synthetic = null; // read
        script.Note(BackendMessageType.CommandComplete, TransactionStatus.InTransaction);
        Assert.Equal("Z T", Describe(script.Synthetic));
        script.Synthetic = null;
        script.Note(BackendMessageType.CommandComplete, TransactionStatus.InTransaction);
        Assert.Null(script.Synthetic); // the last one has PostgreSQL's own
        Assert.False(script.AwaitsReplies);
    }

    [Fact]
    public async Task After_an_error_the_statements_postgresql_skipped_are_answered_as_in_a_failed_transaction()
    {
        var script = new HeldScript();
        foreach (var sql in new[] { "BEGIN", Update, Insert, "DELETE FROM t" })
        {
            script.Add(Query(sql), mergeable: true);
        }

        await WrittenAsync(script);
        script.Note(BackendMessageType.CommandComplete, TransactionStatus.InTransaction);
        script.Synthetic = null;
        script.Note(BackendMessageType.ErrorResponse, TransactionStatus.InTransaction); // the UPDATE failed
        Assert.Null(script.Synthetic); // PostgreSQL's ReadyForQuery comes next
        Assert.True(script.AwaitsReplies);
        script.Note(BackendMessageType.ReadyForQuery, TransactionStatus.Failed);

        Assert.Equal("E 25P02, Z E, E 25P02, Z E", Describe(script.Synthetic));
        Assert.False(script.AwaitsReplies);
    }

    private static byte[] Query(string sql) => ClientFrames.Query(sql);

    private static async Task<IReadOnlyList<string>> WrittenAsync(HeldScript script)
    {
        var pipe = new Pipe();
        script.WriteTo(pipe.Writer);
        await pipe.Writer.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var result = await pipe.Reader.ReadAsync();
        return [.. Frames(result.Buffer.ToArray()).Select(SentFrame.Describe)];
    }

    /// <summary>The stand-in replies as <see cref="ClientReplies.Render"/> shows them: <c>Z T, E 25P02</c>.</summary>
    private static string Describe(byte[]? replies) =>
        string.Join(", ", ClientReplies.Render(Frames(replies ?? []).Select(frame => new BackendMessage(frame))));

    private static IEnumerable<byte[]> Frames(byte[] bytes)
    {
        for (var at = 0; at < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 1)) + 1;
            yield return bytes[at..(at + length)];
            at += length;
        }
    }
}
