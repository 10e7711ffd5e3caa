using System.Net;
using Pgproxy.Core.Auth;

namespace Pgproxy.Core.Tests.Auth;

public sealed class AuthenticationLimiterTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    private readonly AuthenticationLimiter _limiter = new();
    private readonly List<(string Name, AuthenticationEviction Why)> _evicted = [];

    [Fact]
    public void Enter_OverallBoundReached_OldestDroppedInArrivalOrder()
    {
        var first = Enter("first", A);
        Enter("second", B);
        Enter("third", null);

        // One connection per address everywhere: no address is busier, so age alone decides.
        Enter("fourth", IPAddress.Parse("192.0.2.3"));
        Enter("fifth", IPAddress.Parse("192.0.2.4"));

        Assert.Equal([("first", AuthenticationEviction.GlobalBound), ("second", AuthenticationEviction.GlobalBound)],
            _evicted);
        Assert.Equal(3, _limiter.Count);
        Assert.Equal(AuthenticationEviction.GlobalBound, _limiter.Exit(first));
    }

    [Fact]
    public void Enter_OverallBoundReached_BusiestAddressLosesItsOldestEvenIfAnotherIsOlder()
    {
        var lone = Enter("lone", B);
        Enter("a1", A);
        Enter("a2", A);

        Enter("a3", A);
        Enter("local", null);

        Assert.Equal([("a1", AuthenticationEviction.GlobalBound), ("a2", AuthenticationEviction.GlobalBound)],
            _evicted);
        Assert.Equal(AuthenticationEviction.None, _limiter.Exit(lone));
    }

    [Fact]
    public void Enter_AddressBoundReached_OldestOfThatAddressDropped()
    {
        Enter("a1", A, maxPerAddress: 2);
        Enter("b1", B, maxPerAddress: 2);
        Enter("a2", A, maxPerAddress: 2);

        Enter("a3", A, maxPerAddress: 2);

        Assert.Equal([("a1", AuthenticationEviction.AddressBound)], _evicted);
        Assert.Equal(2, _limiter.CountFrom(A));
        Assert.Equal(1, _limiter.CountFrom(B));
    }

    [Fact]
    public void Enter_UnixSocketClients_HaveNoAddressBound()
    {
        for (var i = 0; i < 3; i++)
        {
            Enter($"local{i}", null, max: 10, maxPerAddress: 1);
        }

        Assert.Empty(_evicted);
        Assert.Equal(3, _limiter.Count);
    }

    [Fact]
    public void Exit_LeavesOnItsOwn_NotDroppedLaterAndForgetsTheAddress()
    {
        var first = Enter("first", A);
        Enter("second", A);

        Assert.Equal(AuthenticationEviction.None, _limiter.Exit(first));
        Assert.Equal(AuthenticationEviction.None, _limiter.Exit(first)); // idempotent
        Enter("third", A);
        Enter("fourth", B);

        Assert.Empty(_evicted);
        Assert.Equal(3, _limiter.Count);
        Assert.Equal(2, _limiter.CountFrom(A));
    }

    [Fact]
    public void Enter_AddressBoundOfOne_DropsThePreviousAndStillCountsTheNewcomer()
    {
        Enter("a1", A, maxPerAddress: 1);

        var a2 = Enter("a2", A, maxPerAddress: 1);

        Assert.Equal([("a1", AuthenticationEviction.AddressBound)], _evicted);
        Assert.Equal(1, _limiter.CountFrom(A));
        Assert.Equal(AuthenticationEviction.None, _limiter.Exit(a2));
        Assert.Equal(0, _limiter.CountFrom(A));
        Assert.Equal(0, _limiter.Count);
    }

    [Fact]
    public void Enter_BoundLoweredByReload_DropsOldestUntilUnder()
    {
        for (var i = 0; i < 4; i++)
        {
            Enter($"c{i}", null, max: 10);
        }

        Enter("new", null, max: 2);

        Assert.Equal(["c0", "c1", "c2"], _evicted.Select(e => e.Name));
        Assert.Equal(2, _limiter.Count);
    }

    private AuthenticatingConnection Enter(string name, IPAddress? address, int max = 3, int maxPerAddress = 10) =>
        _limiter.Enter(address, max, maxPerAddress, why => _evicted.Add((name, why)));
}
