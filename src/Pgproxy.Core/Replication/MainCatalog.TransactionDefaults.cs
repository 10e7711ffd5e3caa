using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Replication;

internal sealed partial class MainCatalog
{
    /// <summary>Both settings in one round trip. SHOW takes no snapshot, so it may run as a transaction's first
    /// statement.</summary>
    private const string TransactionDefaultsQuery =
        "SHOW default_transaction_isolation; SHOW default_transaction_read_only";

    /// <summary>
    /// The session's transaction defaults (<see cref="TransactionDefaults"/>), which a plain BEGIN's transaction runs
    /// under. Asked of main once per backend connection, and again after the client changed a setting. Unknown (not
    /// strict, not read only) when main cannot be asked now (inside an unsynced pipeline) or the query failed (logged).
    /// </summary>
    public async ValueTask<TransactionDefaults> TransactionDefaultsAsync()
    {
        var main = _nodes.Main;
        if ((_state.TransactionDefaultsChanged ? _state.TransactionDefaults : main.Backend.ResetTransactionDefaults)
            is { } known)
        {
            return known;
        }

        if (!_state.MayQuery(main))
        {
            return TransactionDefaults.Unknown;
        }

        var rows = await _catalogQuery.RunAsync(main, TransactionDefaultsQuery);
        if (rows is not [var level, var readOnly])
        {
            return TransactionDefaults.Unknown;
        }

        var defaults = new TransactionDefaults(level is "serializable" or "repeatable read", readOnly is "on");
        if (_state.TransactionDefaultsChanged)
        {
            _state.TransactionDefaults = defaults;
        }
        else
        {
            main.Backend.ResetTransactionDefaults = defaults;
        }

        return defaults;
    }
}
