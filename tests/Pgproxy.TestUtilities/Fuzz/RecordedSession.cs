namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>A well-formed client conversation the fuzzer starts from, message by message.</summary>
internal sealed record RecordedSession(string Name, IReadOnlyList<WireMessage> Messages);
