using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The replication session as the runners of its requests (<see cref="QueryRunner"/>, <see cref="GroupRunner"/>) see it: what answers the client at the
/// level of a whole request (a refusal, a failed request, the request's end and the status it leaves), where a
/// read goes, the owed answers settled before a request that may not pass them, and the session's own checks and
/// admin commands. The runner owns how the group reaches the nodes; the session owns what the client was told.
/// </summary>
internal interface IRequestHost
{
    /// <summary>Fails the request when a node was attached since the session started (its links are stale).</summary>
    void ThrowIfANodeWasAttached();

    /// <summary>The node that serves a read now.</summary>
    NodeLink ReadTarget();

    /// <summary>The transaction's reads go to main from now on (a read that locked rows there).</summary>
    void PinReadsToMain();

    /// <summary>The statement's kind for routing: a read calling a volatile function is a write.</summary>
    ValueTask<StatementKind> EffectiveKindAsync(StatementClassification statement);

    /// <summary>Why a write is refused before any node runs it (nondeterministic_write = error), or null.</summary>
    string? RefusedWrite(StatementClassification statement);

    /// <summary>Closes pgproxy's cached connections to the databases a CREATE/DROP DATABASE names.</summary>
    Task ReleaseDatabasesAsync(ReadOnlySpan<byte> query);

    /// <summary>Notes a client statement sent to <paramref name="link"/> (per-node statement log and counts).</summary>
    void AnnounceStatement(NodeLink link, ReadOnlySpan<byte> frame);

    /// <summary>The request calls pg_terminate_backend: once it is answered, every session's next read asks main.</summary>
    bool TerminatesBackends { set; }

    /// <summary>How the request being served was routed, for its metrics.</summary>
    StatementClass RequestClass { set; }

    /// <summary>Why schema changes are refused now (a recovery copies main), or null.</summary>
    string? SchemaChangeRefusal { get; }

    /// <summary>Refuses the request before any node runs it, and logs why.</summary>
    Task RefuseAsync(string sqlState, string message, bool writeReady);

    /// <summary>Answers the request with pgproxy's own error, failing the transaction on every node in it.</summary>
    Task FailRequestAsync(string sqlState, string message, bool writeReady, string? hint = null);

    /// <summary>
    /// Refuses a simple-protocol write unless main rejects it as it parses it; then main's error is the answer
    /// (issue 16 item 15).
    /// </summary>
    Task RefuseUnlessMainRejectsAsync(ReadOnlyMemory<byte> frame, StatementClassification statement, string refusal);

    /// <summary>
    /// Refuses an extended-protocol group unless main rejects the refused statement's Parse message (its text and
    /// parameter types); true when main rejected it and its error is the answer.
    /// </summary>
    Task<bool> RefuseUnlessMainRejectsParseAsync(ReadOnlyMemory<byte> parse, string refusal, bool writeReady);

    /// <summary>Records the status of the node that answered the client and what it means for routing.</summary>
    void SetClientStatus(NodeLink answered);

    /// <summary>The request is answered: records the status of the node that answered and tells the client.</summary>
    void FinishRequest(NodeLink answered);

    /// <summary>Settles the others' owed answers; true when the request was refused because of them.</summary>
    ValueTask<bool> SettleOrRefuseAsync(bool writeReady);

    /// <summary>Settles the others' owed answers; true when a divergence failed the request.</summary>
    ValueTask<bool> SettleOrRaiseAsync(bool writeReady);

    /// <summary>Settles the owed answers before the others replay what main refused; false when they may not.</summary>
    Task<bool> SettledForReplayAsync(NodeLink main);

    /// <summary>Works out the answer of an admin command that must read the nodes first (a checked ATTACH).</summary>
    Task PrepareAdminAsync(ReadOnlyMemory<byte> query);

    /// <summary>Rewrites an admin command (SHOW POOL_*…) in a Parse into the query that answers it.</summary>
    bool RewriteAdminCommand(ReadOnlySpan<byte> frame, byte type, IBufferWriter<byte> output, out AdminError? error);
}
