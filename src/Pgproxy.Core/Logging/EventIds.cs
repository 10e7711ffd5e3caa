namespace Pgproxy.Core.Logging;

/// <summary>
/// Every log event id in one place, so that a log line can be traced back to its call site and ids never collide.
/// Ranges: 1xx lifecycle, 2xx listener and sessions, 3xx backends, 4xx admin and config.
/// </summary>
internal static class EventIds
{
    public const int Started = 100;
    public const int Stopping = 101;
    public const int Stopped = 102;
    public const int Reloaded = 103;
    public const int ReloadFailed = 104;
    public const int ReloadNeedsRestart = 105;
    public const int ConfigWarning = 106;

    public const int Listening = 200;
    public const int AcceptFailed = 201;
    public const int SessionStarted = 202;
    public const int SessionEnded = 203;
    public const int TooManyClients = 204;
    public const int ProtocolViolation = 205;
    public const int SessionFailed = 206;
    public const int ClientIdleLimit = 207;
    public const int CancelForwarded = 208;
    public const int CancelUnknownKey = 209;
    public const int HbaRefused = 210;
    public const int TlsStarted = 220;
    public const int TlsHandshakeFailed = 221;
    public const int AuthenticationFailed = 230;
    public const int AuthenticationTimeout = 231;
    public const int TooManyAuthenticating = 232;

    public const int BackendConnected = 300;
    public const int BackendConnectFailed = 301;
    public const int BackendLost = 302;
    public const int BackendResetFailed = 303;
    public const int BackendPooled = 304;
    public const int BackendDiscarded = 305;

    // 500-599: replication
    public const int NodeDegenerated = 500;
    public const int ResultMismatch = 501;
    public const int StatementRefused = 502;
    public const int PerNodeStatement = 503;
    public const int CatalogQueryFailed = 504;

    // 660-669: defaults the nodes would evaluate on their own (DESIGN §4)
    public const int DefaultValuesUnreadable = 660;
}
