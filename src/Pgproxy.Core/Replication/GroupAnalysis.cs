using Pgproxy.Core.Determinism;
using Pgproxy.Core.Metrics;

namespace Pgproxy.Core.Replication;

/// <summary>What a group does, for routing it.</summary>
internal struct GroupAnalysis
{
    public bool Executes { get; set; }

    public bool Replicated { get; set; }

    public bool Writes { get; set; }

    public bool HasTransactionControl { get; set; }

    /// <summary>
    /// Executes a statement PostgreSQL refuses inside a transaction block (CREATE/DROP DATABASE, VACUUM…): it
    /// runs main first, then the others, without the internal transaction, as in the simple protocol.
    /// </summary>
    public bool OutsideTransaction { get; set; }

    public bool EndsTransaction { get; set; }

    /// <summary>
    /// The group's first Execute is ROLLBACK TO SAVEPOINT: in a failed transaction it is the one statement
    /// PostgreSQL runs, and it must run on every node, which leaves the failure behind on each as on main.
    /// </summary>
    public bool StartsWithRollbackTo { get; set; }

    /// <summary>The first keyword of the group's first Execute ("" for a portal pgproxy does not know).</summary>
    public string? FirstKeyword { get; set; }

    /// <summary>The group executes BEGIN while the client is outside a transaction.</summary>
    public bool BeginsTransaction { get; set; }

    /// <summary>The BEGIN the group starts with, outside a transaction (see GroupRunner.SharedSnapshot).</summary>
    public PreparedStatementInfo? LeadingBegin { get; set; }

    public bool RewritesTime { get; set; }

    public bool ChangesFunctions { get; set; }

    /// <summary>Some Execute changes the schema (refused while a recovery copies main).</summary>
    public bool ChangesSchema { get; set; }

    /// <summary>Some Execute calls set_config(), which may change a transaction default (noted once the group ran).
    /// </summary>
    public bool CallsSetConfig { get; set; }

    /// <summary>Some Execute of the group is not plain DML (IsPlainDml): settle the others first.</summary>
    public bool NotPlainDml { get; set; }

    /// <summary>A read that locks rows with SKIP LOCKED or NOWAIT: main alone runs it.</summary>
    public bool LocksOnMain { get; set; }

    /// <summary>The group executes a COPY FROM STDIN: its data follows once main answers CopyInResponse.</summary>
    public bool CopiesIn { get; set; }

    /// <summary>Defaults the COPY leaves out that the others must get main's values of.</summary>
    public CopyDefaultsPlan? CopyPlan { get; set; }

    /// <summary>The statement the COPY runs, whose text the others get with the columns added.</summary>
    public PreparedStatementInfo? CopyStatement { get; set; }

    public int Completions { get; set; }

    /// <summary>How many Execute messages the group holds.</summary>
    public int ExecuteCount { get; set; }

    /// <summary>The table <c>insert_lock</c> serialises for the group's INSERT, if any.</summary>
    public string? LockTable { get; set; }

    /// <summary>
    /// The group's one Execute is a write that reads rows besides those it changes (StatementFlags.ReadsOtherRows):
    /// in autocommit it may share a snapshot across the nodes (WritePath.ShareWriteSnapshotAsync).
    /// </summary>
    public Routing.StatementClassification? ReadingWrite { get; set; }

    /// <summary>
    /// Why the group's write is refused (a nondeterministic function, a volatile default left to the nodes),
    /// when such writes are refused.
    /// </summary>
    public string? Refused { get; set; }

    /// <summary>
    /// The statement whose write <see cref="Refused"/> names, when it is one the group executes (main parses it
    /// before the refusal: PostgreSQL's own error comes first).
    /// </summary>
    public PreparedStatementInfo? RefusedStatement { get; set; }

    /// <summary>
    /// The statement that asks the server for a large object's OID: the others get main's OID in its Bind or Parse.
    /// </summary>
    public GroupLargeObject? LargeObject { get; set; }

    /// <summary>The class of the group for metrics, from what the analysis found it does.</summary>
    public readonly StatementClass RequestClass =>
        EndsTransaction || HasTransactionControl ? StatementClass.Transaction
        : Writes ? StatementClass.Write
        : Replicated ? StatementClass.SessionState
        : StatementClass.Read;
}
