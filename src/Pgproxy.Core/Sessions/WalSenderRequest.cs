using Pgproxy.Core.Hba;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// The startup decision for the <c>replication</c> parameter, read exactly as PostgreSQL's ProcessStartupPacket
/// reads it, so that pgproxy and the node never disagree about whether a walsender opens: the pairs in order, each
/// <c>database</c> (exact, case-sensitive) asking for a logical walsender, each boolean (parse_bool's spellings)
/// turning the walsender on or off; the first value that is neither is refused, as PostgreSQL refuses it with 22023.
/// </summary>
/// <param name="Kind">What the node will open.</param>
/// <param name="InvalidValue">The value PostgreSQL would refuse; null when there is none.</param>
internal readonly record struct WalSenderRequest(WalSenderKind Kind, string? InvalidValue)
{
    public static WalSenderRequest Of(IEnumerable<StartupParameter> parameters)
    {
        var walSender = false;
        var database = false;
        foreach (var parameter in parameters)
        {
            if (!parameter.NameBytes.SequenceEqual("replication"u8))
            {
                continue;
            }

            if (parameter.ValueBytes.SequenceEqual("database"u8))
            {
                walSender = true;
                database = true;
            }
            else if (PgBoolean.TryParse(parameter.Value, out var on))
            {
                // A later false turns a walsender off but, as in PostgreSQL, leaves "database" remembered.
                walSender = on;
            }
            else
            {
                return new WalSenderRequest(WalSenderKind.None, parameter.Value);
            }
        }

        return new WalSenderRequest(
            !walSender ? WalSenderKind.None : database ? WalSenderKind.Logical : WalSenderKind.Physical, null);
    }
}
