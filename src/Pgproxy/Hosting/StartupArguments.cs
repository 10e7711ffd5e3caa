namespace Pgproxy.Hosting;

/// <summary>The files the running process was started with, so a reload reads the same ones.</summary>
internal sealed record StartupArguments(string ConfigFile, string? HbaFile, string? KeyFile);
