using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;

namespace Pgproxy.Core.Tests.Catalog;

public sealed class PendingEventSpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgproxy-spool-").FullName;

    private string FilePath => PendingEventSpool.PathIn(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WrittenEvents_ReadBackInOrder_WithUidsAndMultiLineReasonsOnOneLine()
    {
        var at = new DateTimeOffset(2026, 12, 5, 4, 30, 0, TimeSpan.Zero);
        PendingNodeEvent[] events =
        [
            new(Guid.NewGuid(), new NodeStatusChange(1, BackendStatus.Up, BackendStatus.Down,
                "read failed:\nconnection reset", at, 0, 0)),
            new(Guid.NewGuid(), new NodeStatusChange(0, BackendStatus.Up, BackendStatus.Down, "", at, 0, -1)),
            new(Guid.NewGuid(), new NodeStatusChange(1, BackendStatus.Down, BackendStatus.Waiting, "attached", at, -1, 1)),
        ];

        PendingEventSpool.Write(FilePath, events);
        var warnings = new List<string>();
        var read = PendingEventSpool.Read(FilePath, warnings);

        Assert.Empty(warnings);
        Assert.Equal(events.Select(e => e.Uid), read.Select(e => e.Uid));
        Assert.Equal("read failed: connection reset", read[0].Change.Reason);
        Assert.Equal(events[1], read[1]);
        Assert.Equal(events[2], read[2]);
    }

    [Fact]
    public void NoFile_NoEvents()
    {
        Assert.Empty(PendingEventSpool.Read(FilePath, []));
    }

    [Theory]
    [InlineData("not-a-guid 1 up down 2026-12-05T04:30:00.0000000+00:00 0 0 x")]
    [InlineData("8f0e7a52-5a55-4b43-9f7c-0c6f0a8f2a11 1 up 7 2026-12-05T04:30:00.0000000+00:00 0 0")]
    [InlineData("8f0e7a52-5a55-4b43-9f7c-0c6f0a8f2a11 1 up down yesterday 0 0")]
    [InlineData("8f0e7a52-5a55-4b43-9f7c-0c6f0a8f2a11 1 up down")]
    public void BadLine_IsSkippedWithItsFileAndLine(string line)
    {
        var good = "c3b1f0de-8f5e-4a57-a1a0-35c1b5b4e1c9 0 waiting up 2026-12-05T04:30:00.0000000+00:00 0 0 reached";
        File.WriteAllText(FilePath, "# header\n" + line + "\n" + good + "\n");
        var warnings = new List<string>();

        var read = PendingEventSpool.Read(FilePath, warnings);

        Assert.Equal(BackendStatus.Up, Assert.Single(read).Change.Current);
        Assert.StartsWith($"{FilePath}:2: not a node event", Assert.Single(warnings), StringComparison.Ordinal);
    }
}
