namespace Pgproxy.Core.Routing;

/// <summary>What a keyword tells the function-call finder about the parenthesis that may follow.</summary>
[Flags]
internal enum KeywordTraits : byte
{
    None = 0,

    /// <summary>
    /// <c>word (</c> is grammar, not a call: a construct (<c>IN (</c>, <c>COALESCE(</c>, <c>OVER (</c>), a type
    /// with modifiers (<c>numeric(10,2)</c>) or a time keyword with precision (<c>CURRENT_TIME(3)</c>).
    /// </summary>
    NotAFunction = 1,

    /// <summary>
    /// In <c>keyword name (</c> the name is being defined or referenced, not called: <c>INSERT INTO t (</c>,
    /// <c>CREATE TABLE t (</c>, <c>CREATE FUNCTION f(</c>, <c>AS alias(</c>, <c>EXECUTE stmt(</c>.
    /// </summary>
    NextNameNotCalled = 2,
}
