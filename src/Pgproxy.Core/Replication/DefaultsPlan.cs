using Pgproxy.Core.Determinism;

namespace Pgproxy.Core.Replication;

/// <summary>What a write needs for its defaults: an INSERT rewrite, or a COPY plan.</summary>
internal readonly record struct DefaultsPlan(DefaultsRewrite? Insert, CopyDefaultsPlan? Copy)
{
    public string? Refusal => Insert?.Refusal ?? Copy?.Refusal;

    public bool NeedsNow => Insert?.NeedsNow == true;

    /// <summary>The COPY plan when there are values to append (nothing to do under a bare refusal).</summary>
    public CopyDefaultsPlan? CopyToRewrite => Copy is { Columns.Count: > 0 } copy ? copy : null;
}
