using System.Buffers;
using Pgproxy.Core.Metrics;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Backends;

/// <summary>
/// What one node did since pgproxy started, for <c>SHOW POOL_BACKEND_STATS</c> and the metrics endpoint. Sessions
/// count into it from their hot path, so every counter is a plain <see cref="Interlocked"/> increment on a field
/// allocated with the node: no locks, no allocation. Readers get each counter on its own (not one consistent
/// snapshot of all of them), which is all a report needs.
/// </summary>
internal sealed class NodeStatistics
{
    /// <summary>Bytes of a reply's body looked at: a tag's first word, or an error's severity fields.</summary>
    private const int PeekLength = 64;

    private readonly long[] _statements = new long[StatementClasses.Count];
    private long _select;
    private long _insert;
    private long _update;
    private long _delete;
    private long _ddl;
    private long _other;
    private long _panic;
    private long _fatal;
    private long _error;
    private long _degenerations;

    public long SelectCount => Interlocked.Read(ref _select);

    public long InsertCount => Interlocked.Read(ref _insert);

    public long UpdateCount => Interlocked.Read(ref _update);

    public long DeleteCount => Interlocked.Read(ref _delete);

    public long DdlCount => Interlocked.Read(ref _ddl);

    public long OtherCount => Interlocked.Read(ref _other);

    public long PanicCount => Interlocked.Read(ref _panic);

    public long FatalCount => Interlocked.Read(ref _fatal);

    public long ErrorCount => Interlocked.Read(ref _error);

    /// <summary>Times the node was taken down (failed, diverged or detached by an administrator).</summary>
    public long Degenerations => Interlocked.Read(ref _degenerations);

    /// <summary>Requests of a class sent to this node by the replication session.</summary>
    public long Statements(StatementClass statementClass) => Interlocked.Read(ref _statements[(int)statementClass]);

    public void CountStatement(StatementClass statementClass) =>
        Interlocked.Increment(ref _statements[(int)statementClass]);

    public void CountDegeneration() => Interlocked.Increment(ref _degenerations);

    /// <summary>
    /// Bytes of a message of <paramref name="totalLength"/> bytes that <see cref="CountReply"/> needs: its header
    /// and first 64 body bytes, or all of it when shorter.
    /// </summary>
    public static long BytesNeeded(long totalLength) => Math.Min(totalLength, 5 + PeekLength);

    /// <summary>
    /// Counts a CommandComplete by the first word of its tag (what PostgreSQL actually ran, so a multi-statement
    /// query or an extended-protocol batch counts each statement) or an ErrorResponse by its severity. Other
    /// messages are ignored. Needs <see cref="BytesNeeded"/> bytes of the message in <paramref name="message"/>.
    /// </summary>
    public void CountReply(BackendMessageType type, in ReadOnlySequence<byte> message)
    {
        Span<byte> peek = stackalloc byte[PeekLength];
        var body = message.Slice(Math.Min(5, message.Length));
        var length = (int)Math.Min(body.Length, PeekLength);
        body.Slice(0, length).CopyTo(peek);
        peek = peek[..length];
        switch (type)
        {
            case BackendMessageType.CommandComplete:
                Interlocked.Increment(ref TagCounter(peek));
                break;
            case BackendMessageType.ErrorResponse:
                Interlocked.Increment(ref SeverityCounter(peek));
                break;
            default:
                break;
        }
    }

    /// <summary>pgpool's classes: SELECT, INSERT, UPDATE, DELETE, DDL (CREATE, ALTER, DROP…) and the rest.</summary>
    private ref long TagCounter(ReadOnlySpan<byte> tag)
    {
        if (tag.StartsWith("SELECT"u8))
        {
            return ref _select;
        }

        if (tag.StartsWith("INSERT"u8))
        {
            return ref _insert;
        }

        if (tag.StartsWith("UPDATE"u8))
        {
            return ref _update;
        }

        if (tag.StartsWith("DELETE"u8))
        {
            return ref _delete;
        }

        if (tag.StartsWith("CREATE"u8) || tag.StartsWith("ALTER"u8) || tag.StartsWith("DROP"u8)
            || tag.StartsWith("TRUNCATE"u8) || tag.StartsWith("COMMENT"u8) || tag.StartsWith("GRANT"u8)
            || tag.StartsWith("REVOKE"u8) || tag.StartsWith("SECURITY LABEL"u8) || tag.StartsWith("IMPORT"u8)
            || tag.StartsWith("REFRESH"u8))
        {
            return ref _ddl;
        }

        return ref _other;
    }

    /// <summary>
    /// The severity of an ErrorResponse: the untranslated <c>V</c> field when it is among the first fields
    /// (PostgreSQL 9.6+ sends S, V, C first), else the possibly translated <c>S</c> field; unknown is ERROR.
    /// </summary>
    private ref long SeverityCounter(ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> severity = default;
        var offset = 0;
        while (offset < body.Length && body[offset] != 0)
        {
            var field = body[offset];
            var end = body[(offset + 1)..].IndexOf((byte)0);
            if (end < 0)
            {
                break;
            }

            var value = body.Slice(offset + 1, end);
            if (field == (byte)'V')
            {
                severity = value;
                break;
            }

            if (field == (byte)'S')
            {
                severity = value;
            }

            offset += end + 2;
        }

        if (severity.SequenceEqual("PANIC"u8))
        {
            return ref _panic;
        }

        if (severity.SequenceEqual("FATAL"u8))
        {
            return ref _fatal;
        }

        return ref _error;
    }
}
