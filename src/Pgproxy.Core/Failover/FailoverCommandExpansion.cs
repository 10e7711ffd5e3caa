namespace Pgproxy.Core.Failover;

/// <summary>A hook's command line with its placeholders filled in, or why it must not run.</summary>
internal readonly record struct FailoverCommandExpansion(string? Command, string? Problem);
