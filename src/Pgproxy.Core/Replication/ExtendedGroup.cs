using System.Buffers;

using Pgproxy.Core.Transport;
namespace Pgproxy.Core.Replication;

/// <summary>
/// The extended-protocol messages a client sent since its last Sync or Flush, kept whole so the group can be
/// routed as one (a group that writes goes to every node) and sent to each node in one write.
/// </summary>
internal sealed class ExtendedGroup
{
    private const int MaxKeptFrames = 1024;

    private ArrayBufferWriter<byte> _bytes = new(512);
    private readonly List<GroupFrame> _frames = [];

    public IReadOnlyList<GroupFrame> Frames => _frames;

    /// <summary>The group holds an Execute: it may start a COPY FROM STDIN whose data the client sends next.</summary>
    public bool Executes { get; private set; }

    public ReadOnlyMemory<byte> Bytes => _bytes.WrittenMemory;

    public void Add(in ReadOnlySequence<byte> frame, byte type)
    {
        _frames.Add(new GroupFrame(_bytes.WrittenCount, (int)frame.Length, type));
        Executes |= type == Protocol.Messages.FrontendMessageType.Execute;
        FrameCopy.Copy(frame, _bytes);
    }

    public ReadOnlySpan<byte> Frame(GroupFrame frame) => _bytes.WrittenSpan.Slice(frame.Offset, frame.Length);

    public void Clear()
    {
        _frames.Clear();
        Executes = false;
        if (_frames.Capacity > MaxKeptFrames)
        {
            _frames.Capacity = 16; // a pipeline of thousands of messages was one group: keep room for a few
        }

        ScratchBuffer.Reset(ref _bytes, 512);
    }
}
