using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Operations;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// A session's admin commands (<c>SHOW POOL_*</c>, <c>PGPROXY ATTACH|DETACH NODE</c>…), rewritten in the Query or
/// Parse that carries them into a statement PostgreSQL runs for the session. It holds what lives between the
/// rewrite and the reply: the ATTACH answer worked out ahead, and the refusals whose marker errors the backend
/// pump replaces. Used by the single-node pumps and, through the session, by the replication loop.
/// </summary>
internal sealed class AdminCommandRewriter(IAdminSession session, IAdminServices admin)
{
    private readonly IAdminSession _session = session;
    private readonly IAdminServices _admin = admin;

    /// <summary>
    /// Answers <c>SHOW POOL_*</c> (and <c>PGPROXY ATTACH|DETACH NODE</c>, see <see cref="NodeCommands"/>) by
    /// rewriting it, in the Query or Parse message that carries it, into a
    /// <c>SELECT … FROM (VALUES …)</c> of the report's rows, which PostgreSQL then runs like any statement. So the
    /// result reaches the client in order with everything it pipelined, the transaction status is PostgreSQL's
    /// own, and the extended protocol (Describe, Bind, named statements: how Npgsql and JDBC send everything)
    /// works without pgproxy imitating any of it. Returns false when the frame is not an admin command.
    /// </summary>
    public bool TryRewrite(in ReadOnlySequence<byte> frame, byte type, IBufferWriter<byte> backendOutput) =>
        TryRewrite(frame, type, backendOutput, out _, markErrors: true);

    /// <summary>
    /// The answer to the ATTACH NODE about to be rewritten, worked out by <see cref="PrepareAsync"/>.
    /// </summary>
    private AdminAnswer? _attachAnswer;

    /// <summary>
    /// Works out, ahead of the rewrite, the answer to an admin command that must read the nodes first (an ATTACH of
    /// a down node compares it with main): the replication loop calls it with each Query or Parse text it is about
    /// to rewrite, where waiting is possible. <paramref name="query"/> is the text with its terminating NUL.
    /// </summary>
    public async Task PrepareAsync(ReadOnlyMemory<byte> query)
    {
        if (query.Length <= AdminCommandParser.MaxFrameBody
            && AdminCommandParser.ParseWithArguments(query.Span, out var arguments) == AdminCommand.AttachNode)
        {
            _attachAnswer = await AttachCommand.RunAsync(arguments, _session, _admin);
        }
    }

    private AdminAnswer? TakeAttachAnswer(AdminArguments arguments)
    {
        var answer = _attachAnswer;
        _attachAnswer = null;
        return answer is not null && answer.Arguments.NodeId == arguments.NodeId
                                  && answer.Arguments.Force == arguments.Force
            ? answer
            : null;
    }

    /// <summary>
    /// The refused admin commands whose marker statements the backend pump waits for (single-node path).
    /// </summary>
    private PendingAdminErrors? _pendingErrors;

    /// <summary>What the backend pump checks each ErrorResponse against; null until a command was refused.</summary>
    public PendingAdminErrors? PendingErrors => Volatile.Read(ref _pendingErrors);

    /// <summary>
    /// As above; <paramref name="error"/> is the refusal of an ATTACH/DETACH NODE. With
    /// <paramref name="markErrors"/> (the single-node pumps) the frame then carries a marker statement whose error
    /// the backend pump replaces (see <see cref="PendingAdminErrors"/>); without it (the replication loop, which
    /// answers the error itself) the frame is not to be sent.
    /// </summary>
    public bool TryRewrite(in ReadOnlySequence<byte> frame, byte type, IBufferWriter<byte> backendOutput,
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

        var command = AdminCommandParser.ParseWithArguments(body.Slice(queryStart, queryLength + 1), out var arguments);
        if (command == AdminCommand.None)
        {
            return false;
        }

        var text = command switch
        {
            AdminCommand.AttachNode when TakeAttachAnswer(arguments) is { } answer => answer.Sql(out error),
            AdminCommand.AttachNode or AdminCommand.DetachNode =>
                NodeCommands.Run(command, arguments.NodeId, _session, _admin, out error, arguments.Force),
            AdminCommand.Check => CheckCommand.Run(arguments, _session, _admin, out error),
            AdminCommand.RecoverNode => RecoverCommand.Run(arguments, _session, _admin, out error),
            _ => AdminReports.BuildQuery(command, _session, _admin),
        };
        if (error is not null)
        {
            text = markErrors
                ? LazyInitializer.EnsureInitialized(ref _pendingErrors).Register(error)
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
