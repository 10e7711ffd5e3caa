using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// Before a DROP/ALTER … RENAME/CREATE DATABASE passes through, closes pgproxy's idle cached connections to the
    /// databases it needs free (see <see cref="DatabaseStatementTargets"/>); otherwise the statement fails with
    /// 55006 because of connections the client never opened. <paramref name="frame"/> is a whole Query or Parse
    /// of at most <see cref="AdminCommandParser.MaxFrameBody"/> bytes of body: such statements are short.
    /// </summary>
    private void ReleaseDatabasesNamedBy(in ReadOnlySequence<byte> frame, byte type)
    {
        Span<byte> body = stackalloc byte[AdminCommandParser.MaxFrameBody];
        var length = (int)frame.Length - 5;
        frame.Slice(5).CopyTo(body);
        body = body[..length];
        if (type == FrontendMessageType.Parse)
        {
            var nameEnd = body.IndexOf((byte)0);
            body = nameEnd < 0 ? [] : body[(nameEnd + 1)..];
        }

        var queryEnd = body.IndexOf((byte)0);
        if (queryEnd < 0 || !DatabaseStatementTargets.MayName(body[..queryEnd]))
        {
            return;
        }

        // Not awaited: PostgreSQL itself waits up to 5 s for backends that are on their way out.
        _ = _runtime.Pool.CloseIdleToAsync(DatabaseStatementTargets.Find(body[..queryEnd]));
    }
}
