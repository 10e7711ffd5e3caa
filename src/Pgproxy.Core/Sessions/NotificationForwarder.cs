using System.Buffers;
using System.Buffers.Binary;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Passes a NotificationResponse on to a client. The notifying pid is a backend's; clients know sessions by the
/// pids pgproxy gave them (a client recognises its own notifications that way), so it is translated when it
/// belongs to one of our sessions.
/// </summary>
internal static class NotificationForwarder
{
    public static void Forward(in ReadOnlySequence<byte> frame, IBufferWriter<byte> output, SessionRegistry sessions,
        int nodeId)
    {
        var span = output.GetSpan((int)frame.Length);
        frame.CopyTo(span);
        var notifier = BinaryPrimitives.ReadInt32BigEndian(span[5..]);
        if (sessions.FindProxyPid(nodeId, notifier) is { } proxyPid)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[5..], proxyPid);
        }

        output.Advance((int)frame.Length);
    }
}
