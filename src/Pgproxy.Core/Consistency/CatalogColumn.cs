namespace Pgproxy.Core.Consistency;

/// <summary>
/// One live column of a table as the catalog describes it: <paramref name="Name"/> already quoted (quote_ident),
/// <paramref name="Type"/> with its modifier (format_type, e.g. <c>character varying(20)</c>) for comparing, and
/// <paramref name="BaseType"/> without it for casting key literals: format_type with typmod -1, which says
/// <c>bpchar</c> and <c>"bit"</c> where NULL would say <c>character</c> and <c>bit</c>, both of length 1, and a
/// cast to those would cut a key short.
/// </summary>
internal sealed record CatalogColumn(string Name, string Type, string BaseType, bool NotNull)
{
    /// <summary>How the column reads in a finding's detail: <c>id integer NOT NULL</c>.</summary>
    public override string ToString() => NotNull ? $"{Name} {Type} NOT NULL" : $"{Name} {Type}";
}
