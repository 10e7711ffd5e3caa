using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// Replaces <paramref name="Length"/> characters at <paramref name="Start"/> of a statement (0 inserts) with
/// <paramref name="Text"/>, in which <paramref name="TimeFunctions"/> still have to become main's timestamp.
/// </summary>
internal readonly record struct TextEdit(int Start, int Length, string Text, IReadOnlyList<TimeFunctionSpan> TimeFunctions);
