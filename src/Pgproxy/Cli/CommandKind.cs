namespace Pgproxy.Cli;

/// <summary>What the command line asks for.</summary>
internal enum CommandKind
{
    Start,
    Stop,
    Reload,

    /// <summary>Add or replace a pool_passwd entry.</summary>
    Passwd,

    /// <summary>List the nodes of the running pgproxy, or attach or detach one (through its SQL port).</summary>
    Node,

    /// <summary>Run a consistency check on the running pgproxy and report it (PGPROXY CHECK, SHOW POOL_CHECK).</summary>
    Check,
    Help,
    Version,
}
