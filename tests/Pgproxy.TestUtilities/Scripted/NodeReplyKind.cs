namespace Pgproxy.TestUtilities.Scripted;

/// <summary>What a <see cref="ScriptedNode"/> does with one statement.</summary>
internal enum NodeReplyKind : byte
{
    /// <summary>CommandComplete with a tag (and nothing before it).</summary>
    Command,

    /// <summary>RowDescription (simple protocol only), DataRows, then CommandComplete.</summary>
    Rows,

    /// <summary>ErrorResponse with a SQLSTATE.</summary>
    Error,

    /// <summary>CopyInResponse: the node waits for CopyData until CopyDone or CopyFail.</summary>
    CopyIn,

    /// <summary>EmptyQueryResponse, as PostgreSQL answers an empty query string.</summary>
    Empty,

    /// <summary>Sends part of a result (RowDescription and some DataRows), then closes the connection.</summary>
    Disconnect,

    /// <summary>
    /// Closes the connection with nothing of the request sent: a node killed (or cut off) before it flushed anything,
    /// as PostgreSQL sends an extended group's answers only at its Sync (or a full send buffer).
    /// </summary>
    Vanish,

    /// <summary>
    /// A FATAL ErrorResponse, then the connection closes: the backend was ended under the statement, as
    /// <c>pg_terminate_backend</c> (57P01) does.
    /// </summary>
    Terminated,
}
