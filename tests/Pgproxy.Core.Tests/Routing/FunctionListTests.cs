using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>write_function_list / read_only_function_list matching and the nondeterministic-function list.</summary>
public sealed class FunctionListTests
{
    [Theory]
    [InlineData("nextval,setval", "nextval", true)]
    [InlineData("nextval,setval", "NEXTVAL", true)]
    [InlineData("nextval,setval", "setval", true)]
    [InlineData("nextval,setval", "nextval2", false)]
    [InlineData("nextval,setval", "xnextval", false)]
    [InlineData(" nextval , setval ", "setval", true)]
    [InlineData("nextval.*", "nextval_x", true)]
    [InlineData("f_.*,g", "f_abc", true)]
    [InlineData("f_.*,g", "gg", false)]
    [InlineData("a|b", "b", true)]
    [InlineData("a|b,c", "ab", false)]
    [InlineData("(x)\\1", "xx", true)]
    [InlineData("set.*", "setval", true)]
    [InlineData("", "nextval", false)]
    public void Matches(string list, string name, bool expected) =>
        Assert.Equal(expected, new FunctionListMatcher(list).Matches(name));

    [Theory]
    [InlineData("", true)]
    [InlineData(" , ,", true)]
    [InlineData("nextval", false)]
    public void IsEmpty(string list, bool expected) => Assert.Equal(expected, new FunctionListMatcher(list).IsEmpty);

    [Theory]
    [InlineData("nextval,f(")]
    [InlineData("[abc")]
    [InlineData("a)")]
    [InlineData("*x")]
    public void BadRegex_ThrowsNamingIt(string list)
    {
        var e = Assert.Throws<ArgumentException>(() => new FunctionListMatcher(list));
        Assert.Contains("invalid regular expression", e.Message, StringComparison.Ordinal);
        Assert.Contains(list.Split(',')[^1].Trim(), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("random", true)]
    [InlineData("RANDOM", true)]
    [InlineData("random_normal", true)]
    [InlineData("setseed", true)]
    [InlineData("gen_random_uuid", true)]
    [InlineData("uuid_generate_v1", true)]
    [InlineData("uuid_generate_v1mc", true)]
    [InlineData("uuid_generate_v4", true)]
    [InlineData("clock_timestamp", true)]
    [InlineData("statement_timestamp", true)]
    [InlineData("timeofday", true)]
    [InlineData("txid_current", true)]
    [InlineData("txid_current_if_assigned", true)]
    [InlineData("pg_current_xact_id", true)]
    [InlineData("pg_backend_pid", true)]
    [InlineData("inet_server_addr", true)]
    [InlineData("inet_server_port", true)]
    [InlineData("pg_postmaster_start_time", true)]
    [InlineData("now", false)]
    [InlineData("transaction_timestamp", false)]
    [InlineData("nextval", false)]
    [InlineData("count", false)]
    public void Nondeterministic(string name, bool expected) =>
        Assert.Equal(expected, NondeterministicFunctions.Contains(name));
}
