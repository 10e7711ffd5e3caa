using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;

namespace Pgproxy.Core.Tests.Catalog;

public sealed class NodeStatusFileTests : IDisposable
{
    private static readonly DateTimeOffset FileTime = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("pgproxy-status-test-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Parse_PgproxyLines_GiveIdStatusTimeAndReason()
    {
        var content = NodeStatusFile.Parse(
            "# header\n\n0 up 2026-05-01T10:00:00.0000000+00:00\n" +
            "1 down 2026-05-01T10:05:00.1234567+00:00 read failed: connection reset by peer\n",
            "pgproxy_status", FileTime);

        Assert.Empty(content.Warnings);
        Assert.Equal(
            [
                new SavedNodeStatus(0, BackendStatus.Up, new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero), ""),
                new SavedNodeStatus(1, BackendStatus.Down,
                    new DateTimeOffset(2026, 5, 1, 10, 5, 0, TimeSpan.Zero).AddTicks(1234567),
                    "read failed: connection reset by peer"),
            ],
            content.Entries);
    }

    [Fact]
    public void Parse_PgpoolFormat_NumbersLinesAsNodesAndSkipsUnused()
    {
        var content = NodeStatusFile.Parse("up\r\nunused\r\ndown\r\n", "pgpool_status", FileTime);

        Assert.Empty(content.Warnings);
        Assert.Equal(
            [
                new SavedNodeStatus(0, BackendStatus.Up, FileTime, ""),
                new SavedNodeStatus(2, BackendStatus.Down, FileTime, ""),
            ],
            content.Entries);
    }

    [Fact]
    public void Parse_LineWithoutTime_IsDatedByTheFile()
    {
        var content = NodeStatusFile.Parse("3 DOWN\n", "f", FileTime);

        Assert.Equal([new SavedNodeStatus(3, BackendStatus.Down, FileTime, "")], content.Entries);
    }

    [Theory]
    [InlineData("1 sideways",
        "f:2: unknown status \"sideways\" for node 1 (expected up, down or unused); line ignored")]
    [InlineData("x down", "f:2: \"x\" is not a node id; line ignored")]
    [InlineData("-1 down", "f:2: \"-1\" is not a node id; line ignored")]
    [InlineData("1 down yesterday why",
        "f:2: \"yesterday\" is not a time (expected ISO 8601, as pgproxy writes it) for node 1; line ignored")]
    [InlineData("maybe", "f:2: unknown status \"maybe\" (expected up, down or unused); line ignored")]
    [InlineData("0 down", "f:2: node 0 is listed twice; line ignored")]
    public void Parse_BadLine_WarnsWithFileAndLineAndKeepsTheRest(string badLine, string warning)
    {
        var content = NodeStatusFile.Parse($"0 up\n{badLine}\n2 down\n", "f", FileTime);

        Assert.Equal([warning], content.Warnings);
        Assert.Equal([0, 2], content.Entries.Select(e => e.NodeId));
        Assert.Equal(BackendStatus.Up, content.Entries[0].Status);
    }

    [Fact]
    public void Parse_Garbage_NeverThrows()
    {
        var content = NodeStatusFile.Parse(
            "\0\u0001\n\t \n99999999999999999999 up\n1 down 2026-13-45T99:00:00Z\n", "f", FileTime);

        Assert.Empty(content.Entries);
        Assert.Equal(3, content.Warnings.Count);
    }

    [Fact]
    public void Format_ThenParse_RoundTripsAndKeepsReasonsOnOneLine()
    {
        var at = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(42);
        SavedNodeStatus[] statuses =
        [
            new(1, BackendStatus.Down, at, "COMMIT failed:\nERROR 40001\r\nsecond line"),
            new(0, BackendStatus.Waiting, at, ""),
        ];

        var text = NodeStatusFile.Format(statuses);
        var content = NodeStatusFile.Parse(text, "f", FileTime);

        Assert.Empty(content.Warnings);
        Assert.Equal(
            [
                new SavedNodeStatus(0, BackendStatus.Up, at, ""),
                new SavedNodeStatus(1, BackendStatus.Down, at, "COMMIT failed: ERROR 40001 second line"),
            ],
            content.Entries);
        Assert.Contains("\n0 up 2026-05-01T10:00:00.0000042+00:00\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ReplacesTheFileAndLeavesNoTempFileBehind()
    {
        var path = NodeStatusFile.PathIn(_folder.FullName);
        File.WriteAllText(path, "0 down\n1 down\n");

        NodeStatusFile.Write(path, [new SavedNodeStatus(0, BackendStatus.Up, FileTime, "")]);

        Assert.Equal([path], Directory.GetFiles(_folder.FullName));
        var content = NodeStatusFile.Read(path);
        Assert.NotNull(content);
        Assert.Equal([new SavedNodeStatus(0, BackendStatus.Up, FileTime, "")], content.Entries);
    }

    [Fact]
    public async Task Write_ReaderRunningAlongside_NeverSeesAHalfWrittenFile()
    {
        var path = NodeStatusFile.PathIn(_folder.FullName);
        var statuses = Enumerable.Range(0, 128)
            .Select(i => new SavedNodeStatus(i, BackendStatus.Down, FileTime, new string('x', 200))).ToList();
        NodeStatusFile.Write(path, statuses);
        using var done = new CancellationTokenSource();
        var partial = 0;
        var reads = 0;
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var content = NodeStatusFile.Read(path);
                reads++;
                reading.TrySetResult();
                if (content is null || content.Entries.Count != statuses.Count || content.Warnings.Count > 0)
                {
                    partial++;
                }
            }
        });

        // On a busy machine the reader may start late: write only once it runs, so the two really overlap.
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 300; i++)
        {
            NodeStatusFile.Write(path, statuses);
        }

        done.Cancel();
        await reader;
        Assert.True(reads > 0);
        Assert.Equal(0, partial);
    }

    [Fact]
    public void Write_MissingFolder_ThrowsIoExceptionAndLeavesNothing()
    {
        var path = Path.Combine(_folder.FullName, "missing", NodeStatusFile.FileName);

        Assert.ThrowsAny<IOException>(() => NodeStatusFile.Write(path, []));
        Assert.Empty(Directory.GetFileSystemEntries(_folder.FullName));
    }

    [Fact]
    public void Read_MissingFile_IsNull()
    {
        Assert.Null(NodeStatusFile.Read(NodeStatusFile.PathIn(_folder.FullName)));
    }
}
