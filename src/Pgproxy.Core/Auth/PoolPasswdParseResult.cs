namespace Pgproxy.Core.Auth;

/// <summary>The entries of a pool_passwd file in file order, and every error found.</summary>
internal sealed record PoolPasswdParseResult(
    IReadOnlyList<PoolPasswdEntry> Entries,
    IReadOnlyList<PoolPasswdError> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}
