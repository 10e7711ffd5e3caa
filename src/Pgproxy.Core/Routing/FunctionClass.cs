namespace Pgproxy.Core.Routing;

/// <summary>What a database's pg_proc says about a function name, as far as routing cares.</summary>
internal enum FunctionClass
{
    /// <summary>
    /// Not in the list read from main: created since, in a transaction not yet visible when the list was read, or
    /// no function at all. Routing must not take it for a read: a function that writes would run on one node.
    /// </summary>
    Unknown,

    /// <summary>Stable or immutable in every schema: it cannot write.</summary>
    NotVolatile,

    /// <summary>Volatile, but only as one of PostgreSQL's own (pg_catalog), whose read-only ones are known.</summary>
    VolatileInCatalog,

    /// <summary>Volatile in some schema other than pg_catalog: a user's function, which may write.</summary>
    Volatile,
}
