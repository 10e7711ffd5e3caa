using System.Buffers.Binary;
using System.Text;
using Pgproxy.Protocol.Backend;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>One whole message received from the server side, with a few decoders for assertions.</summary>
internal sealed class BackendMessage(byte[] frame)
{
    /// <summary>The whole frame, type byte and length included.</summary>
    public byte[] Frame { get; } = frame;

    public char Type => (char)Frame[0];

    public ReadOnlySpan<byte> Body => Frame.AsSpan(5);

    public int Int32At(int bodyOffset) => BinaryPrimitives.ReadInt32BigEndian(Body[bodyOffset..]);

    /// <summary>The SQLSTATE of an ErrorResponse or NoticeResponse.</summary>
    public string SqlState => ErrorResponseMessage.Parse(Body).SqlState;

    /// <summary>The primary message of an ErrorResponse or NoticeResponse.</summary>
    public string ErrorText => ErrorResponseMessage.Parse(Body).Message;

    /// <summary>The name and value of a ParameterStatus.</summary>
    public (string Name, string Value) Parameter => ParameterStatusMessage.Read(Body);

    /// <summary>The sender's pid, the channel and the payload of a NotificationResponse.</summary>
    public (int ProcessId, string Channel, string Payload) Notification
    {
        get
        {
            var body = Body;
            var channelEnd = body[4..].IndexOf((byte)0) + 4;
            var payload = body[(channelEnd + 1)..];
            return (Int32At(0), Encoding.UTF8.GetString(body[4..channelEnd]),
                Encoding.UTF8.GetString(payload[..payload.IndexOf((byte)0)]));
        }
    }

    /// <summary>The column names of a RowDescription.</summary>
    public IReadOnlyList<string> ColumnNames
    {
        get
        {
            var body = Body;
            var count = BinaryPrimitives.ReadInt16BigEndian(body);
            var names = new List<string>(count);
            var offset = 2;
            for (var i = 0; i < count; i++)
            {
                var end = body[offset..].IndexOf((byte)0);
                names.Add(Encoding.UTF8.GetString(body.Slice(offset, end)));
                offset += end + 1 + 18;
            }

            return names;
        }
    }

    public override string ToString() => $"'{Type}' ({Frame.Length} bytes)";
}
