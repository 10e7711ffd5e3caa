namespace Pgproxy.Core.Replication;

internal sealed partial class MainCatalog
{
    /// <summary>
    /// Whether the session's default_transaction_isolation is REPEATABLE READ or SERIALIZABLE, which a plain BEGIN's
    /// transaction then runs under: set by the role, the database, the startup options or the client's SET, none of
    /// which pgproxy reads. Asked of main with SHOW (which takes no snapshot, so it may run as a transaction's first
    /// statement) once per backend connection, and again after the client changed the setting. False when main
    /// cannot be asked now (inside an unsynced pipeline) or the query failed (logged).
    /// </summary>
    public async ValueTask<bool> DefaultIsolationIsStrictAsync()
    {
        var main = _nodes.Main;
        if ((_state.DefaultIsolationChanged ? _state.DefaultStrict : main.Backend.ResetDefaultStrict) is { } known)
        {
            return known;
        }

        if (!_state.MayQuery(main))
        {
            return false;
        }

        var rows = await _catalogQuery.RunAsync(main, "SHOW default_transaction_isolation");
        if (rows is not [var level])
        {
            return false;
        }

        var strict = level is "serializable" or "repeatable read";
        if (_state.DefaultIsolationChanged)
        {
            _state.DefaultStrict = strict;
        }
        else
        {
            main.Backend.ResetDefaultStrict = strict;
        }

        return strict;
    }
}
