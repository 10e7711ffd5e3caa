using Pgproxy.Core.Config;

namespace Pgproxy.Core.Routing;

/// <summary>
/// The routing settings in force (rebuilt on reload) and the caches that outlive them: classifications by
/// query text, and which functions are volatile in each database.
/// </summary>
internal sealed class RoutingPolicy
{
    public RoutingPolicy(ProxyOptions options, ClassificationCache classifications, FunctionVolatility volatility)
    {
        Classifications = classifications;
        Volatility = volatility;
        WriteFunctions = new FunctionListMatcher(options.WriteFunctionList);
        ReadOnlyFunctions = new FunctionListMatcher(options.ReadOnlyFunctionList);
        RefuseNondeterministic = !string.Equals(options.NondeterministicWrite, "allow", StringComparison.OrdinalIgnoreCase);
        InsertLock = options.InsertLock;
    }

    public ClassificationCache Classifications { get; }

    public FunctionVolatility Volatility { get; }

    public FunctionListMatcher WriteFunctions { get; }

    public FunctionListMatcher ReadOnlyFunctions { get; }

    /// <summary><c>nondeterministic_write = error</c>.</summary>
    public bool RefuseNondeterministic { get; }

    public bool InsertLock { get; }

    /// <summary>
    /// True when a statement calls a function that makes it a write, by pgpool's rule: listed in
    /// <c>write_function_list</c>; or, when <c>read_only_function_list</c> is set, not listed there; or, when both
    /// lists are empty, volatile in the database's pg_proc, unless it is one of pg_catalog's read-only ones. Null
    /// when the database's functions must be read first: not loaded yet, or a name missing from them.
    /// </summary>
    public bool? CallsWriteFunction(StatementClassification statement, string database) =>
        CallsWriteFunction(statement, () => Volatility.Get(database), justLoaded: false);

    /// <summary>
    /// <see cref="CallsWriteFunction(StatementClassification, string)"/> with the reading the caller just made for
    /// this very statement: kept even when another session's DDL made the shared cache forget it meanwhile, and a
    /// name still missing from it is no function main can see, so it counts as a write (a function created a
    /// moment ago must not run on one node).
    /// </summary>
    public bool CallsWriteFunction(StatementClassification statement, FunctionVolatilityMap justRead) =>
        CallsWriteFunction(statement, () => justRead, justLoaded: true) ?? true;

    private bool? CallsWriteFunction(StatementClassification statement, Func<FunctionVolatilityMap?> reading,
        bool justLoaded)
    {
        if (statement.FunctionNames.Count == 0 || MainOnlyFunctions.OnlyCalledBy(statement))
        {
            // Signalling a backend by pid, or a replication slot's function: main's alone; the router sends it there.
            return false;
        }

        if (!WriteFunctions.IsEmpty || !ReadOnlyFunctions.IsEmpty)
        {
            return CallsListedWriteFunction(statement);
        }

        if (reading() is not { } functions)
        {
            return null;
        }

        var unknown = false;
        foreach (var function in statement.FunctionNames)
        {
            if (MainOnlyFunctions.Contains(function))
            {
                continue; // volatile, but main's alone: the router sends the statement there
            }

            switch (functions.Classify(function))
            {
                // random(), clock_timestamp()… are volatile but write nothing: a SELECT of them is still a read.
                case FunctionClass.Volatile when !NondeterministicFunctions.Contains(function):
                case FunctionClass.VolatileInCatalog when !NondeterministicFunctions.Contains(function)
                                                         && !CatalogReadFunctions.IsReadOnly(function):
                    return true;
                case FunctionClass.Unknown when justLoaded || functions.IsKnownMissing(function):
                    functions.RememberMissing(function);
                    return true;
                case FunctionClass.Unknown:
                    unknown = true;
                    break;
                default:
                    break;
            }
        }

        return unknown ? null : false;
    }

    private bool CallsListedWriteFunction(StatementClassification statement)
    {
        foreach (var function in statement.FunctionNames)
        {
            if (MainOnlyFunctions.Contains(function))
            {
                continue;
            }

            if (WriteFunctions.Matches(function)
                || (!ReadOnlyFunctions.IsEmpty && !ReadOnlyFunctions.Matches(function)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Why a write that creates a large object is refused: the server would pick its OID on each node, and the
    /// statement is not one whose OID main's answer gives the others (<see cref="LargeObjectCall"/>).
    /// </summary>
    public string? RefusedLargeObject(StatementClassification statement) =>
        RefuseNondeterministic ? statement.LargeObjects?.Refusal : null;

    /// <summary>The first function in a write whose result would differ between nodes, when refused.</summary>
    public string? RefusedFunction(StatementClassification statement)
    {
        if (!RefuseNondeterministic)
        {
            return null;
        }

        foreach (var function in statement.EvaluatedFunctionNames)
        {
            if (NondeterministicFunctions.Contains(function))
            {
                return function;
            }
        }

        return null;
    }
}
