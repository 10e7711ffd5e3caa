using System.Buffers;
using System.Runtime.InteropServices;
using Pgproxy.Core.Replication;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>The group a session keeps between extended-protocol groups shrinks back after a large one.</summary>
public sealed class ExtendedGroupTests
{
    [Fact]
    public void Clear_AfterALargeGroup_KeepsOnlyASmallArray()
    {
        var group = new ExtendedGroup();
        var bind = Frame(FrontendMessageType.Bind, 3 * 1024 * 1024); // a 3 MiB parameter
        group.Add(new ReadOnlySequence<byte>(bind), FrontendMessageType.Bind);

        group.Clear();
        var sync = Frame(FrontendMessageType.Sync, 0);
        group.Add(new ReadOnlySequence<byte>(sync), FrontendMessageType.Sync);

        Assert.True(MemoryMarshal.TryGetArray(group.Bytes, out var segment));
        Assert.True(segment.Array!.Length <= ScratchBuffer.MaxKeptCapacity,
            $"the group still holds {segment.Array.Length} bytes");
        Assert.Equal(sync, group.Frame(group.Frames[0]).ToArray());
    }

    [Fact]
    public void Clear_AfterSmallGroups_KeepsItsArray()
    {
        var group = new ExtendedGroup();
        group.Add(new ReadOnlySequence<byte>(Frame(FrontendMessageType.Execute, 9)), FrontendMessageType.Execute);
        Assert.True(MemoryMarshal.TryGetArray(group.Bytes, out var first));

        group.Clear();
        group.Add(new ReadOnlySequence<byte>(Frame(FrontendMessageType.Sync, 0)), FrontendMessageType.Sync);

        Assert.True(MemoryMarshal.TryGetArray(group.Bytes, out var second));
        Assert.Same(first.Array, second.Array);
    }

    private static byte[] Frame(byte type, int bodyLength)
    {
        var frame = new byte[5 + bodyLength];
        frame[0] = type;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), bodyLength + 4);
        return frame;
    }
}
