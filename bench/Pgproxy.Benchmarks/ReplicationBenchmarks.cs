using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Pgproxy.Benchmarks.Support;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks;

/// <summary>
/// The two-node replication write path (DESIGN §3) through a running session in native replication mode, over
/// in-memory pipes to a <see cref="ReplicatedCannedBackend"/> per node: an autocommit write (main: BEGIN+UPDATE;
/// the other: BEGIN+UPDATE+COMMIT; main: COMMIT), a TPC-B transaction as pgbench sends it in the simple protocol
/// (seven Query messages, one round trip each; the INSERT's CURRENT_TIMESTAMP makes main answer an injected
/// SELECT now() and the other node get the rewritten text), and a read for comparison. The texts are fixed, so
/// classification is a cache hit; pgbench's varying literals would miss the cache (see ClassifierBenchmarks for
/// that cost). Inline and thread-pool scheduling as in <see cref="ForwardingBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class ReplicationBenchmarks
{
    private const int QueriesPerInvoke = 16;
    private const int TransactionsPerInvoke = 4;

    /// <summary>What main's injected SELECT now() answers; the other node must get it in place of CURRENT_TIMESTAMP.</summary>
    private const string MainNow = "'2026-12-04 20:00:00.000000+00'";

    private static readonly PipeOptions InlineOptions = new(readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    private static readonly PipeOptions ThreadPoolOptions = new(useSynchronizationContext: false);

    private static readonly (string Sql, string Reply)[] Transaction =
    [
        ("BEGIN;", "C:BEGIN Z:T"),
        ("UPDATE pgbench_accounts SET abalance = abalance + -2715 WHERE aid = 42;", "C:UPDATE 1 Z:T"),
        ("SELECT abalance FROM pgbench_accounts WHERE aid = 42;", "T D C:SELECT 1 Z:T"),
        ("UPDATE pgbench_tellers SET tbalance = tbalance + -2715 WHERE tid = 7;", "C:UPDATE 1 Z:T"),
        ("UPDATE pgbench_branches SET bbalance = bbalance + -2715 WHERE bid = 1;", "C:UPDATE 1 Z:T"),
        ("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 42, -2715, CURRENT_TIMESTAMP);",
            "C:INSERT 0 1 Z:T"),
        ("END;", "C:COMMIT Z:I"),
    ];

    private const string ReadSql = "SELECT abalance FROM pgbench_accounts WHERE aid = 42;";
    private const string WriteSql = "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 42;";

    private byte[] _read = [];
    private byte[] _write = [];

    // One-element lists for RunAsync, made once so the timed calls allocate nothing of the benchmark's own.
    private byte[][] _reads = [];
    private byte[][] _writes = [];
    private byte[][] _transaction = [];
    private (BenchSession Session, ReplicatedCannedBackend Backend)? _inline;
    private (BenchSession Session, ReplicatedCannedBackend Backend)? _threadPool;

    [GlobalSetup]
    public void Setup()
    {
        _read = Encode(ReadSql);
        _write = Encode(WriteSql);
        _reads = [_read];
        _writes = [_write];
        _transaction = [.. Transaction.Select(t => Encode(t.Sql))];
        _inline = StartAsync(InlineOptions).GetAwaiter().GetResult();
        _threadPool = StartAsync(ThreadPoolOptions).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inline?.Session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _threadPool?.Session.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public long Read_InlinePipes() => RoundTrip(_inline!.Value.Session, _read);

    [Benchmark]
    public long AutocommitWrite_InlinePipes() => RoundTrip(_inline!.Value.Session, _write);

    [Benchmark]
    public long TpcbTransaction_InlinePipes()
    {
        var session = _inline!.Value.Session;
        long total = 0;
        foreach (var query in _transaction)
        {
            total += RoundTrip(session, query);
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = QueriesPerInvoke)]
    public ValueTask<long> Read_ThreadPoolPipes() => RunAsync(_threadPool!.Value.Session, _reads, QueriesPerInvoke);

    [Benchmark(OperationsPerInvoke = QueriesPerInvoke)]
    public ValueTask<long> AutocommitWrite_ThreadPoolPipes() =>
        RunAsync(_threadPool!.Value.Session, _writes, QueriesPerInvoke);

    [Benchmark(OperationsPerInvoke = TransactionsPerInvoke)]
    public ValueTask<long> TpcbTransaction_ThreadPoolPipes() =>
        RunAsync(_threadPool!.Value.Session, _transaction, TransactionsPerInvoke);

    /// <summary>
    /// Starts a session and checks once that every request gets the answer PostgreSQL would give, that the writes
    /// reached the other node (the INSERT with main's timestamp) and that the backend recognised every query.
    /// </summary>
    private static async Task<(BenchSession, ReplicatedCannedBackend)> StartAsync(PipeOptions options)
    {
        var backend = new ReplicatedCannedBackend(options);
        var session = await BenchSession.StartReplicatedAsync(options, backend);
        backend.StartTrace();
        var problems = new List<string>();
        await ExpectAsync(session, ReadSql, "T D C:SELECT 1 Z:I", problems);
        await ExpectAsync(session, WriteSql, "C:UPDATE 1 Z:I", problems);
        foreach (var (sql, reply) in Transaction)
        {
            await ExpectAsync(session, sql, reply, problems);
        }

        var trace = backend.StopTrace();
        Console.WriteLine("// queries the fake nodes received:");
        foreach (var line in trace)
        {
            Console.WriteLine("//   " + line);
        }

        if (!trace.Contains("node 1: " + WriteSql))
        {
            problems.Add("the autocommit write did not reach node 1");
        }

        if (!trace.Any(l => l.StartsWith("node 1: INSERT", StringComparison.Ordinal) && l.Contains(MainNow, StringComparison.Ordinal)))
        {
            problems.Add("node 1 did not get the INSERT with main's timestamp");
        }

        if (backend.UnexpectedQueries != 0)
        {
            problems.Add($"the fake backend did not recognise {backend.UnexpectedQueries} queries");
        }

        if (problems.Count > 0)
        {
            await session.DisposeAsync();
            throw new InvalidOperationException("the benchmark would not measure the write path: " +
                                                string.Join("; ", problems));
        }

        return (session, backend);
    }

    private static async Task ExpectAsync(BenchSession session, string sql, string expected, List<string> problems)
    {
        session.Output.Write(Encode(sql));
        await session.Output.FlushAsync();
        var shape = ReplyShape.Of(await session.ReadReplyAsync());
        if (shape != expected)
        {
            problems.Add($"{sql} answered {shape}, expected {expected}");
        }
    }

    private static long RoundTrip(BenchSession session, byte[] query)
    {
        session.Output.Write(query);
        var flush = session.Output.FlushAsync();
        if (!flush.IsCompleted)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }

        return session.ReadUntilReadyForQuery();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<long> RunAsync(BenchSession session, byte[][] queries, int times)
    {
        long total = 0;
        for (var i = 0; i < times; i++)
        {
            foreach (var query in queries)
            {
                session.Output.Write(query);
                await session.Output.FlushAsync();
                total += await session.ReadUntilReadyForQueryAsync();
            }
        }

        return total;
    }

    private static byte[] Encode(string sql)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrontendMessageWriter.WriteQuery(writer, sql);
        return writer.WrittenSpan.ToArray();
    }
}
