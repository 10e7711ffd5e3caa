namespace Pgproxy.Cli;

/// <summary>What <c>pgproxy node</c> does.</summary>
internal enum NodeAction
{
    List,
    Attach,
    Detach,
}
