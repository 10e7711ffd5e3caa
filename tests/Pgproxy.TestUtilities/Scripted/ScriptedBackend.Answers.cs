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

    private void Answer(byte[] frame)
    {
        var w = _pending;
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
            default:
                break;
        }
    }

    private void AnswerQuery(string sql)
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

        BackendMessageWriter.WriteReadyForQuery(w, _status);
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
