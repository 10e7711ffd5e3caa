namespace Pgproxy.Core.Auth;

/// <summary>A bad pool_passwd line, named by file and line.</summary>
internal sealed record PoolPasswdError(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}
