namespace Pgproxy.TestUtilities.Scripted;

/// <summary>The answer a <see cref="ScriptedNode"/> gives to one statement (a simple Query's or an Execute's).</summary>
internal sealed record NodeReply(NodeReplyKind Kind)
{
    /// <summary>The CommandComplete tag (Command, Rows).</summary>
    public string Tag { get; init; } = "";

    /// <summary>DataRow values, one column each (Rows), or the rows sent before closing (Disconnect).</summary>
    public IReadOnlyList<string> Rows { get; init; } = [];

    public string SqlState { get; init; } = "";

    public string Message { get; init; } = "";

    /// <summary>
    /// The payload of a NotificationResponse (channel <see cref="NodeSession.NotificationChannel"/>, the connection's
    /// pid) sent after a Command reply's CommandComplete: PostgreSQL delivers a listener's pending notifications
    /// right before the ReadyForQuery that follows the end of its transaction.
    /// </summary>
    public string? Notification { get; init; }

    /// <summary>
    /// An Error for a COMMIT or ROLLBACK that leaves the transaction open and failed, as a cancel that meets either
    /// before it runs does; otherwise a failing COMMIT ends the block, as a deferred constraint's does.
    /// </summary>
    public bool LeavesBlockFailed { get; init; }

    public static NodeReply Command(string tag) => new(NodeReplyKind.Command) { Tag = tag };

    /// <summary>One text column; the tag is <c>SELECT n</c> unless given.</summary>
    public static NodeReply Values(params string[] rows) =>
        new(NodeReplyKind.Rows) { Rows = rows, Tag = "SELECT " + rows.Length };

    public static NodeReply RowsWithTag(string tag, params string[] rows) =>
        new(NodeReplyKind.Rows) { Rows = rows, Tag = tag };

    public static NodeReply Error(string sqlState, string? message = null) =>
        new(NodeReplyKind.Error) { SqlState = sqlState, Message = message ?? "scripted error " + sqlState };

    /// <summary>
    /// Goes into copy-in; CopyDone is answered with <c>COPY n</c>, n the rows received plus
    /// <paramref name="extraRows"/> (a node that loaded a different number of rows than main).
    /// </summary>
    public static NodeReply CopyIn(int extraRows = 0) => new(NodeReplyKind.CopyIn) { ExtraRows = extraRows };

    /// <summary>Rows a CopyIn reply counts beyond those received.</summary>
    public int ExtraRows { get; init; }

    public static NodeReply Empty() => new(NodeReplyKind.Empty);

    /// <summary>Closes the connection instead of answering, after <paramref name="rowsFirst"/> DataRows (when above
    /// zero, a RowDescription goes first in the simple protocol), as a node that crashes mid-statement.</summary>
    public static NodeReply Disconnect(int rowsFirst = 0) =>
        new(NodeReplyKind.Disconnect) { Rows = [.. Enumerable.Range(1, rowsFirst).Select(i => i.ToString())] };

    /// <summary>Closes the connection with nothing of the request sent (<see cref="NodeReplyKind.Vanish"/>).</summary>
    public static NodeReply Vanish() => new(NodeReplyKind.Vanish);

    /// <summary>
    /// Ends the backend instead of answering: FATAL <paramref name="sqlState"/>, then the connection closes, as when
    /// another session runs <c>pg_terminate_backend</c> on it (or the node shuts down).
    /// </summary>
    public static NodeReply Terminated(string sqlState = "57P01",
        string message = "terminating connection due to administrator command") =>
        new(NodeReplyKind.Terminated) { SqlState = sqlState, Message = message };
}
