namespace Pgproxy.Core.Routing;

/// <summary>
/// A column that <c>ALTER TABLE … ADD COLUMN … DEFAULT now()</c> adds: PostgreSQL fills the existing rows with the
/// default evaluated once, now, and stores the expression for later rows. The other nodes must fill with main's
/// value, so they get the default as main's literal and, appended to the same ALTER TABLE
/// (at <see cref="InsertAt"/>), <c>ALTER COLUMN name SET DEFAULT expression</c> so later rows still use the
/// expression. Offsets are UTF-16 offsets into the original query text.
/// </summary>
/// <param name="InsertAt">Just past the ALTER TABLE statement's last token.</param>
/// <param name="Column">The column's name as written (quotes kept).</param>
/// <param name="ExpressionStart">Where the DEFAULT expression starts.</param>
/// <param name="ExpressionLength">Its length.</param>
internal readonly record struct RestoredDefault(int InsertAt, string Column, int ExpressionStart, int ExpressionLength);
