namespace Pgproxy.Protocol.Messages;

/// <summary>The transaction status byte carried by ReadyForQuery; values are the wire characters.</summary>
public enum TransactionStatus : byte
{
    /// <summary>Not in a transaction block.</summary>
    Idle = (byte)'I',

    /// <summary>In a transaction block.</summary>
    InTransaction = (byte)'T',

    /// <summary>In a failed transaction block: queries are rejected until the block ends.</summary>
    Failed = (byte)'E',
}
