namespace Pgproxy.Protocol.Messages;

/// <summary>
/// Type bytes of messages sent by the client (frontend). A static class of constants rather than an enum shared
/// with <see cref="BackendMessageType"/>, because 'C', 'D', 'E', 'S' mean different things in each direction.
/// </summary>
public static class FrontendMessageType
{
    public const byte Bind = (byte)'B';
    public const byte Close = (byte)'C';
    public const byte CopyData = (byte)'d';
    public const byte CopyDone = (byte)'c';
    public const byte CopyFail = (byte)'f';
    public const byte Describe = (byte)'D';
    public const byte Execute = (byte)'E';
    public const byte Flush = (byte)'H';
    public const byte FunctionCall = (byte)'F';
    public const byte Parse = (byte)'P';

    /// <summary>
    /// PasswordMessage, and also SASLInitialResponse and SASLResponse, which share the type byte; only legal while
    /// authenticating.
    /// </summary>
    public const byte PasswordMessage = (byte)'p';
    public const byte Query = (byte)'Q';
    public const byte Sync = (byte)'S';
    public const byte Terminate = (byte)'X';
}
