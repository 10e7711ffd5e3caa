namespace Pgproxy.Cli;

/// <summary>What the command line asks for.</summary>
internal enum CommandKind
{
    Start,
    Stop,
    Reload,

    /// <summary>Add or replace a pool_passwd entry.</summary>
    Passwd,
    Help,
    Version,
}
