namespace Pgproxy.Core.Routing;

/// <summary>Which node serves a read (see <see cref="Router.ReadNode"/>).</summary>
internal enum ReadNode : byte
{
    /// <summary>The session's load-balance node (<see cref="LoadBalancePolicy"/>).</summary>
    LoadBalanceNode,

    /// <summary>Main: the transaction wrote, or runs under REPEATABLE READ or SERIALIZABLE.</summary>
    Main,

    /// <summary>The node whose error failed the client's transaction: it answers as PostgreSQL would.</summary>
    FailedNode,
}
