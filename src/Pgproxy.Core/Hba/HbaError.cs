namespace Pgproxy.Core.Hba;

/// <summary>A bad pool_hba.conf line; the record is skipped and parsing continues.</summary>
public sealed record HbaError(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}
