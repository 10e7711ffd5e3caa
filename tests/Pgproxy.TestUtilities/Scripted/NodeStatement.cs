using Pgproxy.Protocol.Messages;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>A statement a <see cref="ScriptedNode"/> is about to run, as its <see cref="NodeScript"/> sees it.</summary>
/// <param name="NodeId">The node (every connection to it shares one script).</param>
/// <param name="Sql">The statement text, trimmed, without a trailing semicolon.</param>
/// <param name="Extended">True for an Execute, false for a simple Query.</param>
/// <param name="Status">The node's transaction status before the statement.</param>
internal sealed record NodeStatement(int NodeId, string Sql, bool Extended, TransactionStatus Status);
