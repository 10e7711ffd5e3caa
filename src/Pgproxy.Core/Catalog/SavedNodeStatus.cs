using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// A node's status as a previous run left it, read back from the status file or the system DB at start:
/// <see cref="BackendStatus.Down"/> or <see cref="BackendStatus.Up"/> (waiting and up are both saved as up),
/// when it last changed and why.
/// </summary>
internal sealed record SavedNodeStatus(int NodeId, BackendStatus Status, DateTimeOffset ChangedAt, string Reason);
