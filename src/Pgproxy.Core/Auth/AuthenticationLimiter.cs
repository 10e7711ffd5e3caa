namespace Pgproxy.Core.Auth;

/// <summary>
/// Counts connections that have not finished authenticating, so a flood of slow or silent connections is refused at
/// once instead of tying up client slots and memory (reliability.md §5). Lock-free: an authenticated session never
/// touches it.
/// </summary>
internal sealed class AuthenticationLimiter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Takes a place if fewer than <paramref name="max"/> are taken; every true must be paired with <see cref="Exit"/>.
    /// </summary>
    public bool TryEnter(int max)
    {
        if (Interlocked.Increment(ref _count) <= max)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _count);
}
