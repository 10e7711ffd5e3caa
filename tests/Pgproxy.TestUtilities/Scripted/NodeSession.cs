using System.Buffers;
using System.Globalization;
using System.Text;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// The backend side of one scripted node connection, message by message: simple Query (statements split on
/// <c>;</c>), Parse/Bind/Describe/Execute/Close/Sync/Flush, and COPY FROM STDIN in both protocols. It keeps the
/// transaction status as PostgreSQL does — BEGIN opens a block, an error fails it (25P02 for anything but its
/// end until then), COMMIT of a failed block answers ROLLBACK, a failed COMMIT still ends the block, an error in
/// the extended protocol skips everything up to Sync — because that status is what pgproxy's write path reads.
/// </summary>
internal sealed class NodeSession(NodeScript script, IBufferWriter<byte> output, int processId)
{
    /// <summary>The channel of every notification a scripted node sends.</summary>
    public const string NotificationChannel = "scripted_channel";

    private static readonly byte[] ParseComplete = [(byte)'1', 0, 0, 0, 4];
    private static readonly byte[] BindComplete = [(byte)'2', 0, 0, 0, 4];
    private static readonly byte[] CloseComplete = [(byte)'3', 0, 0, 0, 4];
    private static readonly byte[] NoData = [(byte)'n', 0, 0, 0, 4];
    private static readonly byte[] NoParameters = [(byte)'t', 0, 0, 0, 6, 0, 0];
    private static readonly byte[] CopyInResponse = [(byte)'G', 0, 0, 0, 9, 0, 0, 1, 0, 0];
    private static readonly string[] Column = ["?column?"];

    private readonly Dictionary<string, string> _statements = [];
    private readonly Dictionary<string, string> _portals = [];
    private CopyMode _copy;
    private int _copyRows;
    private bool _skipUntilSync;

    /// <summary>The statements of a simple Query that follow the COPY in progress: PostgreSQL runs them after
    /// CopyDone (<c>copy a from stdin; copy b from stdin</c> goes into copy-in twice).</summary>
    private string[] _afterCopy = [];

    public int NodeId => script.NodeId;

    public TransactionStatus Status { get; private set; } = TransactionStatus.Idle;

    /// <summary>The script made the node crash with nothing of the request sent: what it wrote is dropped.</summary>
    public bool Vanished { get; private set; }

    /// <summary>Answers one message; false when the script says the node crashes here.</summary>
    public bool Handle(byte[] frame)
    {
        var body = frame.AsSpan(5);
        var offset = 0;
        var type = (char)frame[0];
        if (_copy != CopyMode.None)
        {
            HandleCopy(type, body);
            return true;
        }

        if (_skipUntilSync && type != 'S')
        {
            return true;
        }

        switch (type)
        {
            case 'Q':
                return RunQuery(CString(body, ref offset));
            case 'P':
                var name = CString(body, ref offset);
                _statements[name] = CString(body, ref offset);
                output.Write(ParseComplete);
                return true;
            case 'B':
                var portal = CString(body, ref offset);
                _portals[portal] = _statements.GetValueOrDefault(CString(body, ref offset), "");
                output.Write(BindComplete);
                return true;
            case 'D':
                var kind = (char)body[0];
                var described = CString(body[1..], ref offset);
                if (kind == 'S')
                {
                    output.Write(NoParameters);
                }

                var sql = (kind == 'S' ? _statements : _portals).GetValueOrDefault(described, "");
                if (NodeDefaults.ReturnsRows(sql))
                {
                    BackendMessageWriter.WriteRowDescription(output, Column);
                }
                else
                {
                    output.Write(NoData);
                }

                return true;
            case 'E':
                return Run(Clean(_portals.GetValueOrDefault(CString(body, ref offset), "")), extended: true)
                       != Outcome.Crashed;
            case 'C':
                output.Write(CloseComplete);
                return true;
            case 'F':
                RunFunctionCall(body);
                return true;
            case 'S':
                _skipUntilSync = false;
                BackendMessageWriter.WriteReadyForQuery(output, Status);
                return true;
            default:
                return true; // Flush answers nothing; CopyData & co. outside COPY are ignored, as PostgreSQL does
        }
    }

    private bool RunQuery(string text)
    {
        var statements = text.TrimStart().StartsWith("DO ", StringComparison.OrdinalIgnoreCase)
            ? [Clean(text)]
            : text.Split(';').Select(Clean).Where(s => s.Length > 0).DefaultIfEmpty("").ToArray();
        return RunStatements(statements);
    }

    private bool RunStatements(string[] statements)
    {
        for (var i = 0; i < statements.Length; i++)
        {
            switch (Run(statements[i], extended: false))
            {
                case Outcome.Crashed:
                    return false;
                case Outcome.CopyIn:
                    _afterCopy = statements[(i + 1)..];
                    return true; // the rest, then ReadyForQuery, follow CopyDone; CopyFail ends the Query
                case Outcome.Failed:
                    BackendMessageWriter.WriteReadyForQuery(output, Status);
                    return true;
                default:
                    break;
            }
        }

        BackendMessageWriter.WriteReadyForQuery(output, Status);
        return true;
    }

    private Outcome Run(string sql, bool extended)
    {
        var verb = NodeDefaults.Verb(sql);
        var rollbackTo = verb == "ROLLBACK" && sql.Contains(" TO ", StringComparison.OrdinalIgnoreCase);
        var endsBlock = verb is "COMMIT" or "END" or "ROLLBACK" or "ABORT" && !rollbackTo;
        var before = Status;
        if (before == TransactionStatus.Failed && !endsBlock && !rollbackTo)
        {
            return Fail("25P02", "current transaction is aborted, commands ignored until end of transaction block",
                extended);
        }

        var reply = script.Respond(new NodeStatement(NodeId, sql, extended, before)) ?? NodeDefaults.Reply(sql);
        switch (reply.Kind)
        {
            case NodeReplyKind.Disconnect:
                WriteRows(reply.Rows, describe: !extended && reply.Rows.Count > 0);
                return Outcome.Crashed;
            case NodeReplyKind.Vanish:
                Vanished = true;
                return Outcome.Crashed;
            case NodeReplyKind.Terminated:
                BackendMessageWriter.WriteErrorResponse(output, "FATAL", reply.SqlState, reply.Message);
                return Outcome.Crashed;
            case NodeReplyKind.Error:
                if (endsBlock && !reply.LeavesBlockFailed)
                {
                    Status = TransactionStatus.Idle; // a COMMIT that fails still ends the block
                }

                return Fail(reply.SqlState, reply.Message, extended);
            case NodeReplyKind.CopyIn:
                output.Write(CopyInResponse);
                _copy = extended ? CopyMode.Extended : CopyMode.Simple;
                _copyRows = reply.ExtraRows;
                return Outcome.CopyIn;
            case NodeReplyKind.Empty:
                BackendMessageWriter.WriteEmptyQueryResponse(output);
                return Outcome.Done;
            case NodeReplyKind.Rows:
                WriteRows(reply.Rows, describe: !extended);
                BackendMessageWriter.WriteCommandComplete(output, reply.Tag);
                return Outcome.Done;
            default:
                var tag = reply.Tag;
                if (verb is "BEGIN" or "START")
                {
                    Status = TransactionStatus.InTransaction;
                }
                else if (endsBlock)
                {
                    tag = before == TransactionStatus.Failed && verb is "COMMIT" or "END" ? "ROLLBACK" : tag;
                    Status = TransactionStatus.Idle;
                }
                else if (rollbackTo)
                {
                    Status = TransactionStatus.InTransaction;
                }

                BackendMessageWriter.WriteCommandComplete(output, tag);
                if (reply.Notification is { } payload)
                {
                    BackendMessageWriter.WriteNotificationResponse(output, processId, NotificationChannel, payload);
                }

                return Outcome.Done;
        }
    }

    /// <summary>
    /// A fast-path FunctionCall, seen by the script as <c>F 957(b0)</c> (<see cref="SentFrame.FunctionCall"/>): a
    /// Rows reply's first value is the result (sent as an int4 when the call asks for binary), an Error reply
    /// fails it; by default the result is 16384 + the node's id, as each node picks its own large-object OID.
    /// </summary>
    private void RunFunctionCall(ReadOnlySpan<byte> body)
    {
        var call = "F " + SentFrame.FunctionCall(body, out var resultFormat);
        var reply = Status == TransactionStatus.Failed
            ? null
            : script.Respond(new NodeStatement(NodeId, call, false, Status));
        if (Status == TransactionStatus.Failed)
        {
            Fail("25P02", "current transaction is aborted, commands ignored until end of transaction block", false);
        }
        else if (reply is { Kind: NodeReplyKind.Error })
        {
            Fail(reply.SqlState, reply.Message, false);
        }
        else
        {
            var result = reply is { Rows.Count: > 0 } ? reply.Rows[0] : (16384 + NodeId).ToString(CultureInfo.InvariantCulture);
            var value = resultFormat == 1
                ? ClientFrames.Binary(uint.Parse(result, CultureInfo.InvariantCulture))
                : Encoding.UTF8.GetBytes(result);
            var frame = new WireBytes().Byte('V').Int32(8 + value.Length).Int32(value.Length).Bytes(value).ToArray();
            output.Write(frame);
        }

        BackendMessageWriter.WriteReadyForQuery(output, Status);
    }

    private Outcome Fail(string sqlState, string message, bool extended)
    {
        BackendMessageWriter.WriteErrorResponse(output, "ERROR", sqlState, message);
        if (Status == TransactionStatus.InTransaction)
        {
            Status = TransactionStatus.Failed;
        }

        _skipUntilSync = extended;
        return Outcome.Failed;
    }

    /// <summary>Copy-in mode: rows are counted by their newlines; Sync and Flush are ignored, as PostgreSQL does.</summary>
    private void HandleCopy(char type, ReadOnlySpan<byte> body)
    {
        switch (type)
        {
            case 'd':
                _copyRows += body.Count((byte)'\n');
                return;
            case 'c':
                BackendMessageWriter.WriteCommandComplete(output, "COPY " + _copyRows);
                break;
            case 'f':
                var mode = _copy;
                _copy = CopyMode.None;
                _afterCopy = [];
                Fail("57014", "COPY from stdin failed: " + Encoding.UTF8.GetString(body).TrimEnd('\0'),
                    mode == CopyMode.Extended);
                if (mode == CopyMode.Simple)
                {
                    BackendMessageWriter.WriteReadyForQuery(output, Status);
                }

                return;
            default:
                return;
        }

        var simple = _copy == CopyMode.Simple;
        _copy = CopyMode.None;
        if (simple)
        {
            var rest = _afterCopy;
            _afterCopy = [];
            RunStatements(rest);
        }
    }

    /// <summary>DataRows, after a RowDescription when <paramref name="describe"/> (the simple protocol's).</summary>
    private void WriteRows(IReadOnlyList<string> rows, bool describe)
    {
        if (describe)
        {
            BackendMessageWriter.WriteRowDescription(output, Column);
        }

        foreach (var row in rows)
        {
            BackendMessageWriter.WriteDataRow(output, [row]);
        }
    }

    private static string Clean(string sql) => sql.Trim().TrimEnd(';').TrimEnd();

    private static string CString(ReadOnlySpan<byte> body, ref int offset)
    {
        var end = body[offset..].IndexOf((byte)0);
        var text = Encoding.UTF8.GetString(body.Slice(offset, end));
        offset += end + 1;
        return text;
    }

    private enum CopyMode : byte
    {
        None,
        Simple,
        Extended,
    }

    private enum Outcome : byte
    {
        Done,
        Failed,
        CopyIn,
        Crashed,
    }
}
