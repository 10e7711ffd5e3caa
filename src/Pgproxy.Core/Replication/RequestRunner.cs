using System.IO.Pipelines;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// What both runners of a session's requests hold (<see cref="QueryRunner"/> for Query messages,
/// <see cref="GroupRunner"/> for extended-protocol groups): the session's collaborators, unpacked from
/// <see cref="RequestParts"/> once.
/// </summary>
internal abstract class RequestRunner(RequestParts parts)
{
    private protected readonly IRequestHost _host = parts.Host;
    private protected readonly SessionLinks _nodes = parts.Nodes;
    private protected readonly ClientState _state = parts.State;
    private protected readonly ReplyReader _replies = parts.Replies;
    private protected readonly WritePath _write = parts.Write;
    private protected readonly TwoPhaseCommit _twoPhase = parts.Write.TwoPhase;
    private protected readonly HeldAnswer _answer = parts.Answer;
    private protected readonly AnswerDeadline _deadline = parts.Deadline;
    private protected readonly CopyInRelay _copyIn = parts.CopyIn;
    private protected readonly MainCatalog _catalog = parts.Catalog;
    private protected readonly IdleWatch _idle = parts.Idle;
    private protected readonly RoutingPolicy _policy = parts.Policy;
    private protected readonly PipeWriter _clientOutput = parts.ClientOutput;
    private protected readonly TimeProvider _time = parts.Time;
}
