using System.IO.Pipelines;
using Pgproxy.Core.Transport;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>pgproxy's end of an in-memory connection to a scripted node, with its output recorded.</summary>
internal sealed class RecordingTransport(InMemoryTransport inner, Action<byte[]> onSent) : IConnectionTransport
{
    private readonly RecordingPipeWriter _output = new(inner.Output, onSent);

    public PipeReader Input => inner.Input;

    public PipeWriter Output => _output;

    public void Abort() => inner.Abort();

    public bool LooksIdleAndAlive() => inner.LooksIdleAndAlive();

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
