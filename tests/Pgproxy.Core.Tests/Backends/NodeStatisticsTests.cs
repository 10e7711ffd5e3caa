using System.Buffers;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Metrics;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities;

namespace Pgproxy.Core.Tests.Backends;

public sealed class NodeStatisticsTests
{
    [Theory]
    [InlineData("SELECT 5", "select")]
    [InlineData("INSERT 0 1", "insert")]
    [InlineData("UPDATE 3", "update")]
    [InlineData("DELETE 0", "delete")]
    [InlineData("CREATE TABLE", "ddl")]
    [InlineData("ALTER TABLE", "ddl")]
    [InlineData("DROP INDEX", "ddl")]
    [InlineData("TRUNCATE TABLE", "ddl")]
    [InlineData("GRANT", "ddl")]
    [InlineData("REFRESH MATERIALIZED VIEW", "ddl")]
    [InlineData("BEGIN", "other")]
    [InlineData("COPY 10", "other")]
    [InlineData("MERGE 2", "other")]
    [InlineData("SET", "other")]
    public void CommandComplete_IsCountedByTheFirstWordOfItsTag(string tag, string expected)
    {
        var stats = new NodeStatistics();
        var frame = Message(w => BackendMessageWriter.WriteCommandComplete(w, tag));

        stats.CountReply(BackendMessageType.CommandComplete, new ReadOnlySequence<byte>(frame));
        stats.CountReply(BackendMessageType.CommandComplete, ReadOnlySequenceFactory.OneBytePerSegment(frame));

        Assert.Equal(Counts(expected, 2), Counts(stats));
    }

    [Theory]
    [InlineData("ERROR", "ERROR", "error")]
    [InlineData("FATAL", "FATAL", "fatal")]
    [InlineData("PANIC", "PANIC", "panic")]
    [InlineData("ERREUR", "FATAL", "fatal")] // a translated S field: the untranslated V field decides
    [InlineData("FATAL", null, "fatal")]     // no V field (before PostgreSQL 9.6): the S field decides
    [InlineData("ОШИБКА", null, "error")]    // translated and no V: counted as an error
    public void ErrorResponse_IsCountedBySeverity(string severity, string? untranslated, string expected)
    {
        var stats = new NodeStatistics();
        var body = new WireBytes().Byte((byte)'S').CString(severity);
        if (untranslated is not null)
        {
            body.Byte((byte)'V').CString(untranslated);
        }

        var frame = Frame('E', body.Byte((byte)'C').CString("42P01").Byte((byte)'M')
            .CString("relation \"missing\" does not exist " + new string('x', 200)).Byte(0));

        stats.CountReply(BackendMessageType.ErrorResponse, new ReadOnlySequence<byte>(frame));
        stats.CountReply(BackendMessageType.ErrorResponse, ReadOnlySequenceFactory.OneBytePerSegment(frame));

        Assert.Equal(2, expected switch
        {
            "panic" => stats.PanicCount,
            "fatal" => stats.FatalCount,
            _ => stats.ErrorCount,
        });
        Assert.Equal(2, stats.PanicCount + stats.FatalCount + stats.ErrorCount);
    }

    [Fact]
    public void OnlyThePeekedPrefixIsNeeded()
    {
        var stats = new NodeStatistics();
        var frame = Frame('E', new WireBytes().Byte((byte)'S').CString("FATAL").Byte((byte)'V').CString("FATAL")
            .Byte((byte)'M').CString(new string('m', 10_000)).Byte(0));
        var needed = (int)NodeStatistics.BytesNeeded(frame.Length);

        stats.CountReply(BackendMessageType.ErrorResponse, new ReadOnlySequence<byte>(frame[..needed]));

        Assert.True(needed < 100);
        Assert.Equal(1, stats.FatalCount);
    }

    [Fact]
    public void Statements_AndDegenerations_AreCountedPerClass()
    {
        var stats = new NodeStatistics();

        stats.CountStatement(StatementClass.Read);
        stats.CountStatement(StatementClass.Read);
        stats.CountStatement(StatementClass.Write);
        stats.CountStatement(StatementClass.SessionState);
        stats.CountDegeneration();

        Assert.Equal(2, stats.Statements(StatementClass.Read));
        Assert.Equal(1, stats.Statements(StatementClass.Write));
        Assert.Equal(0, stats.Statements(StatementClass.Transaction));
        Assert.Equal(1, stats.Statements(StatementClass.SessionState));
        Assert.Equal(1, stats.Degenerations);
    }

    private static string Counts(string kind, long n) => kind switch
    {
        "select" => $"{n} 0 0 0 0 0",
        "insert" => $"0 {n} 0 0 0 0",
        "update" => $"0 0 {n} 0 0 0",
        "delete" => $"0 0 0 {n} 0 0",
        "ddl" => $"0 0 0 0 {n} 0",
        _ => $"0 0 0 0 0 {n}",
    };

    private static string Counts(NodeStatistics s) =>
        $"{s.SelectCount} {s.InsertCount} {s.UpdateCount} {s.DeleteCount} {s.DdlCount} {s.OtherCount}";

    private static byte[] Message(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Frame(char type, WireBytes body)
    {
        var bytes = body.ToArray();
        return [.. new WireBytes().Byte((byte)type).Int32(bytes.Length + 4).ToArray(), .. bytes];
    }
}
