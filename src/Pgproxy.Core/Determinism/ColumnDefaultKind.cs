namespace Pgproxy.Core.Determinism;

/// <summary>What a column's default would do if every node evaluated it on its own (DESIGN §4).</summary>
internal enum ColumnDefaultKind : byte
{
    /// <summary>
    /// No default, a deterministic one, a generated or identity column, or a sequence (<c>insert_lock</c> keeps
    /// those in step): every node computes the same value.
    /// </summary>
    Same,

    /// <summary>
    /// Depends on the transaction's start time (<c>now()</c>, <c>CURRENT_DATE</c>…): the same within a
    /// transaction, different on each node; main's timestamp in its place makes it the same.
    /// </summary>
    TransactionTime,

    /// <summary>
    /// Differs per call (<c>random()</c>, <c>gen_random_uuid()</c>, <c>clock_timestamp()</c>, a volatile
    /// function): no literal can stand in for it, so a write that leaves it to the nodes is refused.
    /// </summary>
    Volatile,
}
