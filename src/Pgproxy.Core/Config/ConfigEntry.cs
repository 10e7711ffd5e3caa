namespace Pgproxy.Core.Config;

/// <summary>One <c>key = value</c> as read by either parser, before the registry interprets it.</summary>
internal sealed record ConfigEntry(string Key, string Value, int Line);
