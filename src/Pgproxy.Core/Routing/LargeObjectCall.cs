namespace Pgproxy.Core.Routing;

/// <summary>
/// A statement that creates a large object whose OID the server picks (<c>lo_creat(m)</c>, <c>lo_create(0)</c>,
/// <c>lo_import(path)</c>, <c>lo_from_bytea(0, …)</c>): run as it is, every node would pick its own OID (issue 16
/// item 5). Either the one shape pgproxy can make identical — a single such call selected alone, whose OID comes
/// back in main's answer, so the others get the call with main's OID made explicit — or a refusal.
/// </summary>
internal sealed class LargeObjectCall
{
    private LargeObjectCall(string function, string? refusal, string prefix, string suffix, int parameter)
    {
        Function = function;
        Refusal = refusal;
        Prefix = prefix;
        Suffix = suffix;
        Parameter = parameter;
    }

    /// <summary>The allocating function as written (schema stripped, lower-cased): <c>lo_creat</c>…</summary>
    public string Function { get; }

    /// <summary>
    /// Why no node can be given main's OID (the call is not alone in a SELECT, or its OID argument is not a
    /// constant or parameter): refused under nondeterministic_write = error. Null when it can.
    /// </summary>
    public string? Refusal { get; }

    /// <summary>The others' text is <c>Prefix + main's OID + Suffix</c> (when <see cref="Parameter"/> is 0).</summary>
    public string Prefix { get; }

    /// <summary>See <see cref="Prefix"/>.</summary>
    public string Suffix { get; }

    /// <summary>
    /// The 1-based number of the parameter that gives the OID (<c>lo_create($1)</c>, Npgsql's form): the call
    /// allocates only when the Bind gives 0, and the others' Bind then gets main's OID instead; 0 when the text
    /// itself asks the server to pick.
    /// </summary>
    public int Parameter { get; }

    public static LargeObjectCall Rewritable(string function, string prefix, string suffix) =>
        new(function, null, prefix, suffix, 0);

    public static LargeObjectCall ByParameter(string function, int parameter) =>
        new(function, null, "", "", parameter);

    public static LargeObjectCall Refused(string function) => new(function, RefusalMessage(function), "", "", 0);

    /// <summary>The others' text with main's OID in place of the server's choice.</summary>
    public string OthersText(uint oid) => Prefix + oid.ToString(System.Globalization.CultureInfo.InvariantCulture) + Suffix;

    private static string RefusalMessage(string function) =>
        $"pgproxy refuses a write calling {function}() where the server picks the large object's OID: the OID " +
        "would differ between nodes (nondeterministic_write = error); give the OID (lo_create(<oid>), " +
        "lo_import(<path>, <oid>), lo_from_bytea(<oid>, <data>)) or create it with a statement of its own, " +
        "SELECT lo_creat(-1) or SELECT lo_create(0), whose OID pgproxy gives the other nodes";
}
