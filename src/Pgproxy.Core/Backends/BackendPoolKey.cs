namespace Pgproxy.Core.Backends;

/// <summary>
/// What makes two backend connections interchangeable: the same user and database and the same other startup
/// parameters (application_name, options, client_encoding…). Keying on all of them means a client handed a
/// cached connection sees exactly the session it would have got from PostgreSQL directly.
/// <c>max_pool</c> still counts per (user, database), as in pgpool.
/// </summary>
internal sealed record BackendPoolKey(string User, string Database, string OtherParameters)
{
    /// <summary>Builds the key from a startup packet's parameters, in a canonical (sorted) order.</summary>
    public static BackendPoolKey From(string user, string database,
        IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var others = parameters
            .Where(p => p.Key is not ("user" or "database"))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}");
        return new BackendPoolKey(user, database, string.Join('\u0001', others));
    }

    /// <summary>The startup parameters to send to PostgreSQL for a new connection under this key.</summary>
    public IEnumerable<KeyValuePair<string, string>> StartupParameters()
    {
        yield return new("user", User);
        yield return new("database", Database);
        if (OtherParameters.Length == 0)
        {
            yield break;
        }

        foreach (var pair in OtherParameters.Split('\u0001'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            yield return new(pair[..eq], pair[(eq + 1)..]);
        }
    }
}
