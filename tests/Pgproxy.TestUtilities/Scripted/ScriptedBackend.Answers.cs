using System.Buffers;
using System.Buffers.Binary;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>How the scripted backend answers each message: as a healthy server would, unless scripted not to.</summary>
internal sealed partial class ScriptedBackend
{
    private static readonly byte[] ParseComplete = [(byte)'1', 0, 0, 0, 4];
    private static readonly byte[] BindComplete = [(byte)'2', 0, 0, 0, 4];
    private static readonly byte[] CloseComplete = [(byte)'3', 0, 0, 0, 4];

    /// <summary>FunctionCallResponse with a NULL result.</summary>
    private static readonly byte[] NullFunctionResult = [(byte)'V', 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF];

    /// <summary>CopyInResponse: text format, two text columns.</summary>
    private static readonly byte[] CopyInResponse = [(byte)'G', 0, 0, 0, 11, 0, 0, 2, 0, 0, 0, 0];

    /// <summary>Rows received in the COPY FROM STDIN under way, or -1 outside COPY.</summary>
    private int _copyRows = -1;

    /// <summary>The replies just written end with FATAL: close once they are flushed.</summary>
    private bool _closeAfterReplies;

    private static bool IsCopyMessage(byte type) =>
        type is FrontendMessageType.CopyData or FrontendMessageType.CopyDone or FrontendMessageType.CopyFail;

    private static bool IsCopyFromStdin(string sql) =>
        sql.TrimStart().StartsWith("COPY", StringComparison.OrdinalIgnoreCase)
        && sql.Contains("FROM STDIN", StringComparison.OrdinalIgnoreCase);

    private void Answer(byte[] frame)
    {
        var w = _pending;
        if (_copyRows >= 0 && !IsCopyMessage(frame[0]))
        {
            // As PostgreSQL (copyfromparse.c, then PostgresMain): Sync and Flush are ignored during COPY; anything
            // else is an ERROR raised mid-read, which PostgresMain turns into FATAL and a close.
            if (frame[0] is not (FrontendMessageType.Sync or FrontendMessageType.Flush))
            {
                BackendMessageWriter.WriteErrorResponse(w, "ERROR", "08P01",
                    $"unexpected message type 0x{frame[0]:X2} during COPY from stdin");
                BackendMessageWriter.WriteErrorResponse(w, "FATAL", "08P01",
                    "terminating connection because protocol synchronization was lost");
                _closeAfterReplies = true;
            }

            return;
        }

        switch (frame[0])
        {
            case FrontendMessageType.Query:
                AnswerQuery(QueryText(frame));
                break;
            case FrontendMessageType.Parse:
                w.Write(ParseComplete);
                break;
            case FrontendMessageType.Bind:
                w.Write(BindComplete);
                break;
            case FrontendMessageType.Describe:
                BackendMessageWriter.WriteRowDescription(w, [ResultColumn]);
                break;
            case FrontendMessageType.Execute:
                BackendMessageWriter.WriteDataRow(w, ["1"]);
                BackendMessageWriter.WriteCommandComplete(w, "SELECT 1");
                break;
            case FrontendMessageType.Close:
                w.Write(CloseComplete);
                break;
            case FrontendMessageType.Sync:
                BackendMessageWriter.WriteReadyForQuery(w, _status);
                break;
            case FrontendMessageType.FunctionCall:
                w.Write(NullFunctionResult);
                BackendMessageWriter.WriteReadyForQuery(w, _status);
                break;
            case FrontendMessageType.CopyDone when _copyRows >= 0:
                BackendMessageWriter.WriteCommandComplete(w, $"COPY {_copyRows}");
                _copyRows = -1;
                BackendMessageWriter.WriteReadyForQuery(w, _status);
                break;
            case FrontendMessageType.CopyData when _copyRows >= 0:
                _copyRows++;
                break;
            case FrontendMessageType.CopyFail when _copyRows >= 0:
                _copyRows = -1;
                BackendMessageWriter.WriteErrorResponse(w, "ERROR", "57014", "COPY from stdin failed");
                BackendMessageWriter.WriteReadyForQuery(w, _status == TransactionStatus.Idle ? _status
                    : TransactionStatus.Failed);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// A Query: one statement, or a script pgproxy merged from held-back statements (HeldScript joins them with a
    /// line holding only ';'), answered statement by statement as PostgreSQL does — up to the first error — with one
    /// ReadyForQuery. Other strings are one statement here, whatever semicolons they hold.
    /// </summary>
    private void AnswerQuery(string sql)
    {
        foreach (var statement in Statements(sql))
        {
            if (!AnswerStatement(statement))
            {
                return; // COPY: CopyDone or CopyFail ends the Query
            }

            if (_status == TransactionStatus.Failed)
            {
                break;
            }
        }

        BackendMessageWriter.WriteReadyForQuery(_pending, _status);
    }

    /// <summary>The statements of a Query (see <see cref="AnswerQuery"/>).</summary>
    public static string[] Statements(string sql) => sql.Split(MergedScriptSeparator);

    private const string MergedScriptSeparator = "\n;\n";

    /// <summary>Answers one statement, without ReadyForQuery; false when it started a COPY.</summary>
    private bool AnswerStatement(string sql)
    {
        var w = _pending;
        if (sql == _script.NotifyOn)
        {
            BackendMessageWriter.WriteNotificationResponse(w, ProcessId, "scripted_channel", "scripted payload");
        }

        if (sql.Length == 0)
        {
            BackendMessageWriter.WriteEmptyQueryResponse(w);
        }
        else if (TryReadRaise(sql) is var (raisedState, raisedMessage))
        {
            // What pgproxy injects to fail a statement with its own error: PostgreSQL would raise it, so do we.
            BackendMessageWriter.WriteErrorResponse(w, "ERROR", raisedState, raisedMessage);
            if (_status == TransactionStatus.InTransaction)
            {
                _status = TransactionStatus.Failed;
            }
        }
        else if (_script.ErrorOn?.Invoke(sql) == true)
        {
            BackendMessageWriter.WriteErrorResponse(w, "ERROR", _script.ErrorSqlState, "scripted error for: " + sql);
            if (_status == TransactionStatus.InTransaction)
            {
                _status = TransactionStatus.Failed;
            }
        }
        else if (IsCopyFromStdin(sql))
        {
            // COPY FROM STDIN: CopyInResponse (text, two columns) and no ReadyForQuery until CopyDone or CopyFail.
            w.Write(CopyInResponse);
            _copyRows = 0;
            return false;
        }
        else if (sql == _script.LargeRowOn)
        {
            BackendMessageWriter.WriteRowDescription(w, [ResultColumn]);
            WriteLargeDataRow(w, _script.LargeRowBytes);
            BackendMessageWriter.WriteCommandComplete(w, "SELECT 1");
        }
        else
        {
            var upper = sql.Trim().TrimEnd(';').ToUpperInvariant();
            switch (upper)
            {
                case "BEGIN" or "START TRANSACTION":
                    _status = TransactionStatus.InTransaction;
                    BackendMessageWriter.WriteCommandComplete(w, "BEGIN");
                    break;
                case "COMMIT" or "END":
                    _status = TransactionStatus.Idle;
                    BackendMessageWriter.WriteCommandComplete(w, "COMMIT");
                    break;
                case "ABORT" or "ROLLBACK":
                    _status = TransactionStatus.Idle;
                    BackendMessageWriter.WriteCommandComplete(w, "ROLLBACK");
                    break;
                case "DISCARD ALL":
                    BackendMessageWriter.WriteCommandComplete(w, "DISCARD ALL");
                    break;
                default:
                    BackendMessageWriter.WriteRowDescription(w, [ResultColumn]);
                    BackendMessageWriter.WriteDataRow(w, ["1"]);
                    BackendMessageWriter.WriteCommandComplete(w, "SELECT 1");
                    break;
            }
        }

        return true;
    }

    private const string RaisePrefix = "DO $pgproxy$BEGIN RAISE EXCEPTION USING ERRCODE = '";

    /// <summary>
    /// The SQLSTATE and message of a statement pgproxy sends to fail on purpose (an admin command's <c>RAISE</c>,
    /// the failing cast of InjectedQueries.FailTransaction), or null.
    /// </summary>
    private static (string SqlState, string Message)? TryReadRaise(string sql)
    {
        if (sql.StartsWith("SELECT 'pgproxy", StringComparison.Ordinal) && sql.EndsWith("'::int", StringComparison.Ordinal))
        {
            // What pgproxy sends to fail a node's transaction (InjectedQueries.FailTransaction).
            return ("22P02", "invalid input syntax for type integer: " + sql["SELECT ".Length..^"::int".Length]);
        }

        const string messageStart = "', MESSAGE = '";
        const string end = "'; END$pgproxy$";
        if (!sql.StartsWith(RaisePrefix, StringComparison.Ordinal) || !sql.EndsWith(end, StringComparison.Ordinal))
        {
            return null;
        }

        var state = sql.Substring(RaisePrefix.Length, 5);
        var from = RaisePrefix.Length + 5 + messageStart.Length;
        return (state, sql[from..^end.Length].Replace("''", "'", StringComparison.Ordinal));
    }

    private void WritePartialResult()
    {
        var w = _pending;
        BackendMessageWriter.WriteRowDescription(w, [ResultColumn]);
        BackendMessageWriter.WriteDataRow(w, ["1"]);
        if (_script.DisconnectMidFrame)
        {
            var row = new ArrayBufferWriter<byte>();
            BackendMessageWriter.WriteDataRow(row, ["a value that is cut in half by the disconnect"]);
            w.Write(row.WrittenSpan[..(row.WrittenCount / 2)]);
        }
    }

    /// <summary>A DataRow with one text value of <paramref name="valueBytes"/> bytes (a repeating pattern).</summary>
    public static byte[] LargeDataRow(int valueBytes)
    {
        var frame = new byte[1 + 4 + 2 + 4 + valueBytes];
        frame[0] = (byte)'D';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), frame.Length - 1);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(5), 1);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(7), valueBytes);
        for (var i = 0; i < valueBytes; i++)
        {
            frame[11 + i] = (byte)('a' + i % 26);
        }

        return frame;
    }

    private static void WriteLargeDataRow(IBufferWriter<byte> w, int valueBytes) => w.Write(LargeDataRow(valueBytes));
}
