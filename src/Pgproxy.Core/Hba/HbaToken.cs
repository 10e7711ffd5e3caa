namespace Pgproxy.Core.Hba;

/// <summary>One word of a pool_hba.conf field; quoting matters because a quoted keyword is a plain name.</summary>
internal readonly record struct HbaToken(string Value, bool Quoted)
{
    public bool IsKeyword(string keyword) =>
        !Quoted && string.Equals(Value, keyword, StringComparison.OrdinalIgnoreCase);
}
