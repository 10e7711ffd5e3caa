namespace Pgproxy.Core.Routing;

/// <summary>
/// Which node serves a session's reads: a weighted random choice among the nodes that may serve them, as pgpool
/// makes it at session start (<c>backend_weight</c>). Pure but for its random source, which tests replace with a
/// seeded or scripted one, so the choice is unit-tested without nodes.
/// </summary>
internal sealed class LoadBalancePolicy(Func<double> nextUniform)
{
    /// <summary>The policy drawing from <see cref="Random.Shared"/>.</summary>
    public static readonly LoadBalancePolicy Shared = new(Random.Shared.NextDouble);

    /// <summary>
    /// The index of the chosen candidate, or -1 when no weight is above zero. <paramref name="weights"/> holds one
    /// weight per candidate in node order; a node that is down or must not serve reads has weight 0. A candidate is
    /// chosen with probability weight / sum of weights; negative weights count as 0.
    /// </summary>
    public int Choose(ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var weight in weights)
        {
            total += Math.Max(0, weight);
        }

        if (total <= 0)
        {
            return -1;
        }

        var pick = nextUniform() * total;
        var last = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
            {
                continue;
            }

            last = i;
            pick -= weights[i];
            if (pick < 0)
            {
                return i;
            }
        }

        // Rounding can leave pick at 0 after the last weight: the last candidate is then the choice.
        return last;
    }
}
