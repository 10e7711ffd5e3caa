using System.Buffers;
using System.Buffers.Binary;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Main parse-analyses a write pgproxy is about to refuse, without running it: PostgreSQL rejects some such
/// statements itself (a window function in WHERE, <c>CALL random()</c>), and the client must get that error, as it
/// would directly, rather than a refusal that hides it (issue 16 item 15). The statement is sent as an unnamed
/// Parse, closed again at once, and a Sync. A simple Query drops the unnamed statement anyway, so main's session
/// ends up as after PostgreSQL's own rejection; inside a transaction block the failed Parse aborts main's part, as
/// the statement would have, and a Parse that succeeds leaves the block as it was.
/// </summary>
internal static class MainParseCheck
{
    private static readonly byte[] CloseUnnamed = [(byte)'C', 0, 0, 0, 6, (byte)'S', 0];

    private static readonly byte[] Sync = [(byte)'S', 0, 0, 0, 4];

    /// <summary>
    /// True when main rejected the statement: its ErrorResponse has gone where main's answers go (the client), and
    /// main's status (failed inside a block) is in <paramref name="main"/>; false when main accepted it, which
    /// leaves nothing behind for the client to see.
    /// </summary>
    /// <param name="main">The session's main node.</param>
    /// <param name="replies">The session's reply reader: main's error goes through it to the client.</param>
    /// <param name="queryText">The statement's text, without the Query message's terminating zero.</param>
    public static Task<bool> RejectsAsync(NodeLink main, ReplyReader replies, ReadOnlyMemory<byte> queryText) =>
        RejectsParseAsync(main, replies, ParseFrame(queryText.Span));

    /// <summary>
    /// <see cref="RejectsAsync"/> for a client's Parse message (the extended protocol): the same text with the
    /// client's parameter types, under the unnamed statement's name, so that a parameter the client typed is not an
    /// error of pgproxy's making. Main's unnamed statement is gone afterwards.
    /// </summary>
    /// <param name="main">The session's main node.</param>
    /// <param name="replies">The session's reply reader: main's error goes through it to the client.</param>
    /// <param name="clientParse">The client's whole Parse message, header included.</param>
    public static Task<bool> RejectsClientParseAsync(NodeLink main, ReplyReader replies, ReadOnlySpan<byte> clientParse)
    {
        var body = clientParse[5..];
        var rest = body[ParseMessage.Read(body).QueryOffset..]; // query, its zero, the parameter types
        var frame = new byte[1 + 4 + 1 + rest.Length];
        frame[0] = (byte)'P';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), frame.Length - 1);
        rest.CopyTo(frame.AsSpan(6));
        return RejectsParseAsync(main, replies, frame);
    }

    private static async Task<bool> RejectsParseAsync(NodeLink main, ReplyReader replies, byte[] parse)
    {
        main.FlushPendingBegin(); // the client's deferred BEGIN: the Parse belongs inside its block
        main.Inject(parse, InjectedReply.ParseComplete);
        main.Inject(CloseUnnamed, InjectedReply.CloseComplete);
        main.Output.Write(Sync);
        main.Summary.Clear();
        main.SwallowedError = null;
        await WritePath.FlushLinkAsync(main);

        // An error is not an injected reply, so it is forwarded; PostgreSQL then skips the Close up to the Sync,
        // whose ReadyForQuery ends the reading and is not forwarded (the session writes the client's).
        await replies.ReadAsync(main, forward: true, summarize: true, ReplyStop.UntilReady);
        return main.Summary.HasError;
    }

    /// <summary>Parse of the unnamed statement, with no parameter types given.</summary>
    private static byte[] ParseFrame(ReadOnlySpan<byte> query)
    {
        // type, length, "" (name), query, 0, int16 0 (parameter types)
        var frame = new byte[1 + 4 + 1 + query.Length + 1 + 2];
        frame[0] = (byte)'P';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), frame.Length - 1);
        query.CopyTo(frame.AsSpan(6));
        return frame;
    }
}
