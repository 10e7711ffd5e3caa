namespace Pgproxy.Core.Logging;

/// <summary>
/// Every log event id in one place, so that a log line can be traced back to its call site and ids never collide.
/// Ranges: 1xx lifecycle, 2xx listener and sessions, 3xx backends, 4xx admin and config, 5xx replication,
/// 6xx catalog (status file, system DB).
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
    public const int WalSenderStarted = 240;
    public const int WalSenderEnded = 241;

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
    public const int BackendTerminated = 505;
    public const int RowCountsRanAgain = 506;
    public const int SerializationRanAgain = 507;
    public const int FailedByTiming = 508;
    public const int PhaseThreeRetried = 509;
    public const int SequencesLevelled = 510;
    public const int SequencesNotLevelled = 511;
    public const int MainRolledBackAtCommit = 512;
    public const int SequencesLevelledAtStart = 513;
    public const int SequencesNotLevelledAtStart = 514;

    // 600-619: catalog (status file, system DB)
    public const int CatalogConnected = 600;
    public const int CatalogUnreachable = 601;
    public const int CatalogRetryFailed = 602;
    public const int CatalogReconnected = 603;
    public const int CatalogMigrated = 604;
    public const int CatalogEventsDropped = 605;
    public const int CatalogFlushIncomplete = 606;
    public const int CatalogSettingsWarning = 607;
    public const int CatalogSchemaNewer = 608;
    public const int CatalogWriterFailed = 609;
    public const int StatusFileBadLine = 610;
    public const int StatusFileReadFailed = 611;
    public const int StatusFileWriteFailed = 612;
    public const int StatusDiscarded = 613;
    public const int StatusRestored = 614;
    public const int StatusAllDownIgnored = 615;
    public const int StatusFileWritten = 616;
    public const int CatalogQueueRead = 617;
    public const int CatalogQueueBadLine = 618;
    public const int CatalogQueueWriteFailed = 619;

    // 620-639: health checks and failover/failback commands
    public const int HealthCheckRetrying = 620;
    public const int HealthCheckRetrySucceeded = 621;
    public const int HealthCheckFailed = 622;
    public const int HealthCheckFailoverDisallowed = 623;
    public const int HealthCheckRefused = 624;
    public const int HealthCheckNodeUp = 625;
    public const int HealthCheckCredentialProblem = 626;
    public const int HealthCheckLoopFailed = 627;
    public const int FailoverCommandStarted = 630;
    public const int FailoverCommandSucceeded = 631;
    public const int FailoverCommandFailed = 632;
    public const int FailoverCommandTimedOut = 633;
    public const int FailoverCommandRefused = 634;
    public const int FailoverCommandNotStarted = 635;
    public const int FailoverCommandOutput = 636;
    public const int FailoverCommandDropped = 637;

    // 640-659: admin commands (PGPROXY ATTACH/DETACH NODE) and the metrics endpoint
    public const int NodeDetachedByAdmin = 640;
    public const int NodeAttachedByAdmin = 641;
    public const int AdminCommandRefused = 642;
    public const int MetricsListening = 643;
    public const int MetricsRequestFailed = 644;
    public const int MetricsNoAddress = 645;

    // 660-669: defaults the nodes would evaluate on their own (DESIGN §4)
    public const int DefaultValuesUnreadable = 660;
    public const int OidCountersAligned = 661;
    public const int OidCountersNotAligned = 662;
    public const int SchemaChangeNumberedApart = 663;

    // 670-689: two-phase commit (DESIGN §3.9)
    public const int OnePhaseCommit = 670;
    public const int TwoPhaseUnavailable = 671;
    public const int PreparedTransactionResolved = 672;
    public const int PreparedTransactionUndecided = 673;
    public const int PreparedTransactionScanFailed = 674;
    public const int PrepareRefused = 675;
    public const int FewPreparedTransactions = 676;

    // 690-709: consistency check and write gate (DESIGN §5)
    public const int CheckStarted = 690;
    public const int CheckIdentical = 691;
    public const int CheckDifference = 692;
    public const int CheckFailed = 693;
    public const int CheckDegenerated = 694;
    public const int CheckNotRecorded = 695;
    public const int AttachChecked = 696;
    public const int AttachRefused = 697;

    // 710-729: online recovery of a down node (DESIGN §5)
    public const int RecoveryStarted = 710;
    public const int RecoveryPhase = 711;
    public const int RecoverySucceeded = 712;
    public const int RecoveryFailed = 713;
    public const int RecoveryCutoverRetry = 714;
    public const int RecoveryCleanupFailed = 715;
    public const int RecoveryLeftoversRemoved = 716;
    public const int RecoveryNotJournaled = 717;
}
