namespace Pgproxy.Core.Routing;

/// <summary>What the classifier learned about one statement of a query string, before combining them.</summary>
internal struct StatementInfo
{
    public StatementKind Kind;
    public StatementFlags Flags;
    public string? InsertTable;
    public string? CopyTable;
    public string? PreparedName;
    public StatementKind? PreparedInnerKind;

    /// <summary>
    /// True when the statement's expressions are evaluated as it runs (a query, DML, CALL, CREATE TABLE AS…),
    /// so its time functions may be replaced by a literal; false for definitions PostgreSQL stores.
    /// </summary>
    public bool EvaluatesNow;

    /// <summary>
    /// The statement's calls are only stored, never evaluated as it runs (CREATE TABLE with a column DEFAULT,
    /// CREATE VIEW, ALTER TABLE … ALTER COLUMN … SET DEFAULT): a volatile function there makes no node differ.
    /// </summary>
    public bool StoresCalls;

    /// <summary>
    /// In a statement that otherwise only stores its expressions (ALTER TABLE), the character ranges that are
    /// evaluated as it runs (see <see cref="AlterTableExpressions"/>): time functions there are rewritten.
    /// </summary>
    public List<(int Start, int End)>? EvaluatedRanges;

    /// <summary>Added columns whose DEFAULT fills existing rows (see <see cref="RestoredDefault"/>).</summary>
    public List<RestoredDefault>? RestoredDefaults;

    /// <summary>
    /// The statement names functions without calling them (DROP FUNCTION f(int), g(text); GRANT EXECUTE ON
    /// FUNCTION f(int)): its <c>name(</c> patterns are signatures, not calls.
    /// </summary>
    public bool NamesWithoutCalling;

    /// <summary>BEGIN/COMMIT/ROLLBACK or a savepoint statement (matters inside a multi-statement string).</summary>
    public bool IsTransactionControl;

    public static StatementInfo Of(StatementKind kind, bool evaluatesNow = false) =>
        new() { Kind = kind, EvaluatesNow = evaluatesNow };

    public static StatementInfo Write => Of(StatementKind.Write);
}
