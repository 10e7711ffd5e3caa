using Pgproxy.Protocol.Framing;

namespace Pgproxy.Core.Backends;

/// <summary>
/// What makes two backend connections interchangeable: the same user and database and the same other startup
/// parameters (application_name, options, client_encoding…). Keying on all of them means a client handed a
/// cached connection sees exactly the session it would have got from PostgreSQL directly.
/// <c>max_pool</c> still counts per (user, database), as in pgpool.
/// </summary>
/// <remarks>
/// The other parameters stay a list of byte pairs from the client's packet to the node's: they are never joined
/// into a string and split again, so no value can smuggle in a <c>user</c>, <c>database</c>, <c>options</c> or
/// <c>replication</c> of its own. <c>user</c> and <c>database</c> are the authenticated identity, not the
/// client's pairs.
/// </remarks>
internal sealed class BackendPoolKey : IEquatable<BackendPoolKey>
{
    private readonly StartupParameter[] _others;
    private readonly int _hash;

    private BackendPoolKey(string user, string database, StartupParameter[] others)
    {
        User = user;
        Database = database;
        _others = others;
        var hash = new HashCode();
        hash.Add(user, StringComparer.Ordinal);
        hash.Add(database, StringComparer.Ordinal);
        foreach (var parameter in others)
        {
            hash.Add(parameter);
        }

        _hash = hash.ToHashCode();
    }

    public string User { get; }

    public string Database { get; }

    /// <summary>The parameters other than user and database, in the order they are sent to the nodes.</summary>
    public IReadOnlyList<StartupParameter> OtherParameters => _others;

    /// <summary>
    /// Builds the key for <paramref name="user"/> and <paramref name="database"/> and a client's (or pgproxy's own)
    /// parameters. The client's <c>user</c> and <c>database</c> pairs and protocol options (<c>_pq_.</c>, answered
    /// by pgproxy itself) are left out. The rest are ordered by name, stably, so the same parameters in another
    /// order find the same cached connection and a repeated name keeps its last value, as PostgreSQL applies them.
    /// </summary>
    public static BackendPoolKey ForClient(string user, string database, IEnumerable<StartupParameter> parameters)
    {
        var others = parameters
            .Where(p => !IsLeftOut(p))
            .OrderBy(p => p.NameBytes.ToArray(), ByteOrder.Instance)
            .ToArray();
        return new BackendPoolKey(user, database, others);
    }

    /// <summary>The same from strings pgproxy makes itself (health checks, tests).</summary>
    public static BackendPoolKey From(string user, string database,
        IEnumerable<KeyValuePair<string, string>> parameters) =>
        ForClient(user, database, parameters.Select(p => StartupParameter.FromStrings(p.Key, p.Value)));

    /// <summary>The startup parameters to send to PostgreSQL for a new connection under this key.</summary>
    public IEnumerable<StartupParameter> StartupParameters()
    {
        yield return StartupParameter.FromStrings("user", User);
        yield return StartupParameter.FromStrings("database", Database);
        foreach (var parameter in _others)
        {
            yield return parameter;
        }
    }

    public bool Equals(BackendPoolKey? other) =>
        other is not null && _hash == other._hash && User == other.User && Database == other.Database
        && _others.AsSpan().SequenceEqual(other._others);

    public override bool Equals(object? obj) => Equals(obj as BackendPoolKey);

    public override int GetHashCode() => _hash;

    public override string ToString() => $"{User}@{Database} [{string.Join(", ", _others.Select(p => p.Name))}]";

    private static bool IsLeftOut(StartupParameter parameter) =>
        parameter.NameBytes.SequenceEqual("user"u8) || parameter.NameBytes.SequenceEqual("database"u8)
        || parameter.NameBytes.StartsWith("_pq_."u8);

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
