namespace Pgproxy.Cli;

/// <summary>What the command line asks for.</summary>
internal enum CommandKind
{
    Start,
    Stop,
    Reload,
    Help,
    Version,
}
