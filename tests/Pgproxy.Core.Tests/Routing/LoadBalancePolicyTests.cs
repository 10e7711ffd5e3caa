using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

public sealed class LoadBalancePolicyTests
{
    [Theory]
    [InlineData(0.00, 0)]
    [InlineData(0.24, 0)]
    [InlineData(0.25, 1)]
    [InlineData(0.99, 1)]
    public void Choose_SplitsTheUnitIntervalByWeight(double draw, int expected)
    {
        var policy = new LoadBalancePolicy(() => draw);
        Assert.Equal(expected, policy.Choose([1, 3]));
    }

    [Fact]
    public void Choose_SkipsZeroAndNegativeWeights()
    {
        var policy = new LoadBalancePolicy(() => 0.5);
        Assert.Equal(2, policy.Choose([0, -4, 2]));
    }

    [Fact]
    public void Choose_NoWeightAboveZero_IsMinusOne()
    {
        var policy = new LoadBalancePolicy(() => 0.5);
        Assert.Equal(-1, policy.Choose([0, 0]));
        Assert.Equal(-1, policy.Choose([]));
    }

    [Fact]
    public void Choose_ADrawOfOne_StillPicksTheLastWeightedNode()
    {
        // Rounding can leave nothing past the last weight; the choice must never fall off the end.
        var policy = new LoadBalancePolicy(() => 1.0);
        Assert.Equal(1, policy.Choose([1, 1, 0]));
    }

    [Fact]
    public void Choose_SeededDraws_FollowTheWeights()
    {
        var random = new Random(42);
        var policy = new LoadBalancePolicy(random.NextDouble);
        var counts = new int[3];
        for (var i = 0; i < 10_000; i++)
        {
            counts[policy.Choose([1, 0, 3])]++;
        }

        Assert.Equal(0, counts[1]);
        Assert.InRange(counts[2] / (double)counts[0], 2.7, 3.3);
    }
}
