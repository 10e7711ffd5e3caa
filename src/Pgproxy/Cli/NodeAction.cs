namespace Pgproxy.Cli;

/// <summary>What <c>pgproxy node</c> does.</summary>
internal enum NodeAction
{
    List,
    Attach,
    Detach,

    /// <summary>Online recovery of a down node (PGPROXY RECOVER NODE), followed until it ends.</summary>
    Recover,
}
