namespace Pgproxy.Core.Routing;

/// <summary>One step of a <see cref="QueryScript"/>.</summary>
/// <param name="Text">The step's statements, as the client wrote them.</param>
/// <param name="Position">Characters of the client's string before the step: what a node's error position
/// for the step is shifted by, so the client sees the position in its own string.</param>
/// <param name="Statement">The step's classification.</param>
/// <param name="Control">A transaction-control statement alone (BEGIN, COMMIT, ROLLBACK, SAVEPOINT…).</param>
internal sealed record QueryScriptStep(string Text, int Position, StatementClassification Statement, bool Control);
