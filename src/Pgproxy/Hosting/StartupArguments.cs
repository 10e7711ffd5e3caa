namespace Pgproxy.Hosting;

/// <summary>
/// What the running process was started with: the files (so a reload reads the same ones) and -D (discard the
/// saved node status at start).
/// </summary>
internal sealed record StartupArguments(string ConfigFile, string? HbaFile, string? KeyFile, bool DiscardStatus);
