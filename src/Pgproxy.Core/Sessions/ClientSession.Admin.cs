using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Admin;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>An empty simple Query: PostgreSQL answers EmptyQueryResponse and ReadyForQuery, nothing else.</summary>
    private static readonly byte[] EmptyQuery = [(byte)'Q', 0, 0, 0, 5, 0];

    /// <summary>
    /// Answers <c>SHOW POOL_*</c>. The result must reach the client in order with the answers to queries the
    /// client pipelined before it, and only the backend pump may write to the client; so an empty query goes to
    /// the backend in its place, and the backend pump swaps that query's EmptyQueryResponse for the result.
    /// The ReadyForQuery that follows is PostgreSQL's own, with the true transaction status.
    /// </summary>
    private bool TryHandleAdminCommand(in ReadOnlySequence<byte> frame, PipeWriter backendOutput)
    {
        Span<byte> body = stackalloc byte[AdminCommandParser.MaxLength];
        var length = (int)frame.Length - 5;
        if (length > body.Length)
        {
            return false;
        }

        frame.Slice(5).CopyTo(body);
        var command = AdminCommandParser.Parse(body[..length]);
        if (command == AdminCommand.None)
        {
            return false;
        }

        _substitutions.Enqueue((_cyclesSent, AdminReports.Build(command, this, _runtime)));
        backendOutput.Write(EmptyQuery);
        _cyclesSent++;
        return true;
    }
}
