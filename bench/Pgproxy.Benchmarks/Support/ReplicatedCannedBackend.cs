using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Routing;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks.Support;

/// <summary>
/// A fake PostgreSQL for the replication session: it answers each simple Query by its first keyword with the
/// reply PostgreSQL would give a pgbench statement (UPDATE 1, INSERT 0 1, one abalance row…), keeps each
/// connection's transaction status so ReadyForQuery says I, T or E as a node would, and answers the queries
/// pgproxy sends on its own (main's timestamp, the catalog lookups for volatile functions, table defaults and
/// insert_lock). Every reply is built once, so it allocates nothing per query and whatever a benchmark measures
/// beyond the pipes is pgproxy's own. Anything it does not recognise gets an ErrorResponse and is counted in
/// <see cref="UnexpectedQueries"/>, so a benchmark can prove it is not timing an error path.
/// </summary>
internal sealed class ReplicatedCannedBackend : IBackendConnector
{
    /// <summary>Longest query text answered without copying a multi-segment body to the heap.</summary>
    private const int StackTextLimit = 1024;

    /// <summary>The start of insert_lock's sequence check (MainCatalog.InsertLockTableAsync builds it inline).</summary>
    private static readonly byte[] SequenceCheckPrefix = "SELECT count(*) FROM pg_catalog.pg_attribute "u8.ToArray();

    /// <summary>The start of <see cref="TableDefaults.Query"/> for any table.</summary>
    private static readonly byte[] TableDefaultsPrefix = Encoding.UTF8.GetBytes(TableDefaults.Query("t")[..40]);

    private readonly PipeOptions _pipeOptions;
    private readonly byte[] _begin = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "BEGIN"));
    private readonly byte[] _commit = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "COMMIT"));
    private readonly byte[] _rollback = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "ROLLBACK"));
    private readonly byte[] _update = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "UPDATE 1"));
    private readonly byte[] _insert = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "INSERT 0 1"));
    private readonly byte[] _delete = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "DELETE 1"));
    private readonly byte[] _set = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "SET"));
    private readonly byte[] _discard = Reply(w => BackendMessageWriter.WriteCommandComplete(w, "DISCARD ALL"));
    private readonly byte[] _select = Rows("abalance", "-2715");

    /// <summary>Main's transaction timestamp, in the form <see cref="InjectedQueries.SelectNow"/> produces.</summary>
    private readonly byte[] _now = Rows("?column?", "2026-12-04 20:00:00.000000+00");

    /// <summary>A few of pg_proc's volatile functions: enough for the classifier to tell them from the rest.</summary>
    private readonly byte[] _volatileFunctions = Rows("proname", "clock_timestamp", "currval", "gen_random_uuid",
        "nextval", "random", "setval", "timeofday", "txid_current");

    /// <summary>pgbench's tables have no sequence or identity column: insert_lock has nothing to lock.</summary>
    private readonly byte[] _noSequence = Rows("count", "0");

    /// <summary>A table the catalog does not know: no rows, as to_regclass() of a missing name gives.</summary>
    private readonly byte[] _noRows = Rows("json_build_array");

    private readonly byte[] _unexpected = Reply(w => BackendMessageWriter.WriteErrorResponse(w, "ERROR", "42601",
        "the fake backend does not know this query"));

    private readonly byte[] _inFailedTransaction = Reply(w => BackendMessageWriter.WriteErrorResponse(w, "ERROR",
        "25P02", "current transaction is aborted, commands ignored until end of transaction block"));

    /// <summary>The exact catalog query for each pgbench table and its rows, as PostgreSQL 16 answers them.</summary>
    private readonly (byte[] Query, byte[] Reply)[] _tableDefaults =
    [
        TableRows("pgbench_accounts", Column("aid", "integer"), Column("bid", "integer"), Column("abalance", "integer"),
            Column("filler", "character(84)")),
        TableRows("pgbench_tellers", Column("tid", "integer"), Column("bid", "integer"), Column("tbalance", "integer"),
            Column("filler", "character(84)")),
        TableRows("pgbench_branches", Column("bid", "integer"), Column("bbalance", "integer"),
            Column("filler", "character(88)")),
        TableRows("pgbench_history", Column("tid", "integer"), Column("bid", "integer"), Column("aid", "integer"),
            Column("delta", "integer"), Column("mtime", "timestamp without time zone"),
            Column("filler", "character(22)")),
    ];

    private readonly byte[] _volatileQuery = Encoding.UTF8.GetBytes(FunctionVolatility.Query);
    private readonly byte[] _nowQuery = InjectedQueries.SelectNow[5..^1];
    private readonly Lock _traceLock = new();
    private List<string>? _trace;
    private int _unexpectedQueries;

    public ReplicatedCannedBackend(PipeOptions pipeOptions) => _pipeOptions = pipeOptions;

    /// <summary>Queries answered with an error because they were not recognised, since the start.</summary>
    public int UnexpectedQueries => Volatile.Read(ref _unexpectedQueries);

    /// <summary>Starts recording every query as "node N: text" (for checks and a look at what pgproxy sends).</summary>
    public void StartTrace()
    {
        lock (_traceLock)
        {
            _trace = [];
        }
    }

    /// <summary>Stops recording and returns what was recorded since <see cref="StartTrace"/>.</summary>
    public IReadOnlyList<string> StopTrace()
    {
        lock (_traceLock)
        {
            var trace = _trace ?? [];
            _trace = null;
            return trace;
        }
    }

    public Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken)
    {
        var (proxyEnd, backendEnd) = InMemoryDuplex.CreatePair(_pipeOptions);
        _ = ServeAsync(backendEnd, node.NodeId);
        return BackendConnection.StartAsync(new BackendConnection(proxyEnd, node.NodeId, node.Endpoint, key),
            credential, connectTimeoutMs, cancellationToken);
    }

    private async Task ServeAsync(InMemoryDuplex transport, int nodeId)
    {
        var input = transport.Input;
        var output = transport.Output;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (StartupPacketReader.TryRead(ref buffer, out _))
                {
                    input.AdvanceTo(buffer.Start);
                    break;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }

            BackendMessageWriter.WriteAuthenticationOk(output);
            BackendMessageWriter.WriteParameterStatus(output, "server_version", "16.4");
            BackendMessageWriter.WriteParameterStatus(output, "client_encoding", "UTF8");
            BackendMessageWriter.WriteParameterStatus(output, "standard_conforming_strings", "on");
            BackendMessageWriter.WriteBackendKeyData(output, 4242 + nodeId, 1234);
            BackendMessageWriter.WriteReadyForQuery(output, TransactionStatus.Idle);
            await output.FlushAsync();

            var status = TransactionStatus.Idle;
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (!Answer(ref buffer, output, nodeId, ref status))
                {
                    return;
                }

                input.AdvanceTo(buffer.Start, result.Buffer.End);
                if (output.UnflushedBytes > 0)
                {
                    await output.FlushAsync();
                }

                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The proxy side went away.
        }
        finally
        {
            transport.Abort();
        }
    }

    /// <summary>Answers every whole frame in the buffer; false at Terminate.</summary>
    private bool Answer(ref ReadOnlySequence<byte> buffer, PipeWriter output, int nodeId, ref TransactionStatus status)
    {
        Span<byte> scratch = stackalloc byte[StackTextLimit];
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            if (header.Type == FrontendMessageType.Terminate)
            {
                return false;
            }

            if (header.Type == FrontendMessageType.Query)
            {
                // The body ends with the text's terminating zero.
                var body = buffer.Slice(5, header.TotalLength - 6);
                ReadOnlySpan<byte> text = body.IsSingleSegment ? body.FirstSpan
                    : body.Length <= StackTextLimit ? Copy(body, scratch) : body.ToArray();
                Trace(nodeId, text);
                status = AnswerQuery(text, output, status);
                BackendMessageWriter.WriteReadyForQuery(output, status);
            }
            else
            {
                // The replication session speaks the simple protocol to its nodes for pgbench's simple mode.
                Trace(nodeId, [header.Type]);
                Interlocked.Increment(ref _unexpectedQueries);
                output.Write(_unexpected);
            }

            buffer = buffer.Slice(header.TotalLength);
        }

        return true;
    }

    /// <summary>Writes the answer to one query and returns the connection's transaction status after it.</summary>
    private TransactionStatus AnswerQuery(ReadOnlySpan<byte> text, PipeWriter output, TransactionStatus status)
    {
        var keyword = FirstWord(text);
        if (Is(keyword, "BEGIN"u8) || Is(keyword, "START"u8))
        {
            output.Write(_begin);
            return status == TransactionStatus.Idle ? TransactionStatus.InTransaction : status;
        }

        if (Is(keyword, "COMMIT"u8) || Is(keyword, "END"u8))
        {
            // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK.
            output.Write(status == TransactionStatus.Failed ? _rollback : _commit);
            return TransactionStatus.Idle;
        }

        if (Is(keyword, "ROLLBACK"u8) || Is(keyword, "ABORT"u8))
        {
            output.Write(_rollback);
            return TransactionStatus.Idle;
        }

        if (status == TransactionStatus.Failed)
        {
            output.Write(_inFailedTransaction);
            return status;
        }

        var reply = Is(keyword, "UPDATE"u8) ? _update
            : Is(keyword, "INSERT"u8) ? _insert
            : Is(keyword, "DELETE"u8) ? _delete
            : Is(keyword, "SELECT"u8) ? SelectReply(text)
            : Is(keyword, "SET"u8) ? _set
            : Is(keyword, "DISCARD"u8) ? _discard
            : null;
        if (reply is null)
        {
            Interlocked.Increment(ref _unexpectedQueries);
            output.Write(_unexpected);
            return status == TransactionStatus.Idle ? status : TransactionStatus.Failed;
        }

        output.Write(reply);
        return status;
    }

    /// <summary>pgproxy's own SELECTs by their exact text; any other SELECT is pgbench's read of one balance.</summary>
    private byte[] SelectReply(ReadOnlySpan<byte> text)
    {
        if (text.SequenceEqual(_nowQuery))
        {
            return _now;
        }

        if (text.StartsWith(SequenceCheckPrefix))
        {
            return _noSequence;
        }

        if (text.StartsWith(TableDefaultsPrefix))
        {
            foreach (var (query, reply) in _tableDefaults)
            {
                if (text.SequenceEqual(query))
                {
                    return reply;
                }
            }

            return _noRows;
        }

        return text.SequenceEqual(_volatileQuery) ? _volatileFunctions : _select;
    }

    private void Trace(int nodeId, ReadOnlySpan<byte> text)
    {
        if (Volatile.Read(ref _trace) is null)
        {
            return;
        }

        lock (_traceLock)
        {
            _trace?.Add($"node {nodeId}: {Encoding.UTF8.GetString(text)}");
        }
    }

    private static ReadOnlySpan<byte> Copy(in ReadOnlySequence<byte> body, Span<byte> scratch)
    {
        body.CopyTo(scratch);
        return scratch[..(int)body.Length];
    }

    private static ReadOnlySpan<byte> FirstWord(ReadOnlySpan<byte> text)
    {
        var start = 0;
        while (start < text.Length && text[start] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            start++;
        }

        var end = start;
        while (end < text.Length && char.IsAsciiLetter((char)text[end]))
        {
            end++;
        }

        return text[start..end];
    }

    private static bool Is(ReadOnlySpan<byte> word, ReadOnlySpan<byte> keyword) =>
        System.Text.Ascii.EqualsIgnoreCase(word, keyword);

    private static byte[] Reply(Action<ArrayBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>A one-column result: RowDescription, a DataRow per value, CommandComplete SELECT n.</summary>
    private static byte[] Rows(string column, params string[] values) => Reply(w =>
    {
        BackendMessageWriter.WriteRowDescription(w, [column]);
        foreach (var value in values)
        {
            BackendMessageWriter.WriteDataRow(w, [value]);
        }

        BackendMessageWriter.WriteCommandComplete(w, $"SELECT {values.Length}");
    });

    /// <summary>One row of <see cref="TableDefaults.Query"/>: a column without a default, of a permanent table.</summary>
    private static string Column(string name, string type) => $"[\"{name}\", \"{type}\", null, false, null, \"p\"]";

    private static (byte[] Query, byte[] Reply) TableRows(string table, params string[] columns) =>
        (Encoding.UTF8.GetBytes(TableDefaults.Query(table)), Rows("json_build_array", columns));
}
