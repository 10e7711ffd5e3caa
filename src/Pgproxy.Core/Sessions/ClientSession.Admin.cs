using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Core.Admin;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// Answers <c>SHOW POOL_*</c> (and <c>PGPROXY ATTACH|DETACH NODE</c>, see <see cref="NodeCommands"/>) by
    /// rewriting it, in the Query or Parse message that carries it, into a
    /// <c>SELECT … FROM (VALUES …)</c> of the report's rows, which PostgreSQL then runs like any statement. So the
    /// result reaches the client in order with everything it pipelined, the transaction status is PostgreSQL's
    /// own, and the extended protocol (Describe, Bind, named statements: how Npgsql and JDBC send everything)
    /// works without pgproxy imitating any of it. Returns false when the frame is not an admin command.
    /// </summary>
    private bool TryRewriteAdminCommand(in ReadOnlySequence<byte> frame, byte type, IBufferWriter<byte> backendOutput) =>
        TryRewriteAdminCommand(frame, type, backendOutput, out _, markErrors: true);

    /// <summary>The refused admin commands whose marker statements the backend pump waits for (single-node path).</summary>
    private PendingAdminErrors? _adminErrors;

    /// <summary>
    /// As above; <paramref name="error"/> is the refusal of an ATTACH/DETACH NODE. With
    /// <paramref name="markErrors"/> (the single-node pumps) the frame then carries a marker statement whose error
    /// the backend pump replaces (see <see cref="PendingAdminErrors"/>); without it (the replication loop, which
    /// answers the error itself) the frame is not to be sent.
    /// </summary>
    private bool TryRewriteAdminCommand(in ReadOnlySequence<byte> frame, byte type, IBufferWriter<byte> backendOutput,
        out AdminError? error, bool markErrors)
    {
        error = null;
        Span<byte> body = stackalloc byte[AdminCommandParser.MaxFrameBody];
        var length = (int)frame.Length - 5;
        frame.Slice(5).CopyTo(body);
        body = body[..length];

        // Parse: statement name, query, parameter types. Query: just the query.
        var queryStart = 0;
        if (type == FrontendMessageType.Parse)
        {
            var nameEnd = body.IndexOf((byte)0);
            if (nameEnd < 0)
            {
                return false;
            }

            queryStart = nameEnd + 1;
        }

        var queryLength = body[queryStart..].IndexOf((byte)0);
        if (queryLength < 0)
        {
            return false;
        }

        var command = AdminCommandParser.Parse(body.Slice(queryStart, queryLength + 1), out var nodeId);
        if (command == AdminCommand.None)
        {
            return false;
        }

        var text = command is AdminCommand.AttachNode or AdminCommand.DetachNode
            ? NodeCommands.Run(command, nodeId, this, _runtime, out error)
            : AdminReports.BuildQuery(command, this, _runtime);
        if (error is not null)
        {
            text = markErrors
                ? LazyInitializer.EnsureInitialized(ref _adminErrors).Register(error)
                : "SELECT NULL::text AS result"; // never sent: the replication loop answers the error itself
        }

        var sql = Encoding.UTF8.GetBytes(text!);
        var prefix = body[..queryStart];
        var suffix = body[(queryStart + queryLength + 1)..];
        var newLength = 4 + prefix.Length + sql.Length + 1 + suffix.Length;
        var span = backendOutput.GetSpan(newLength + 1);
        span[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], newLength);
        prefix.CopyTo(span[5..]);
        sql.CopyTo(span[(5 + prefix.Length)..]);
        span[5 + prefix.Length + sql.Length] = 0;
        suffix.CopyTo(span[(6 + prefix.Length + sql.Length)..]);
        backendOutput.Advance(newLength + 1);
        return true;
    }
}
