using System.IO.Pipelines;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The session's collaborators that run a request, built once by <see cref="ReplicationSession"/> and shared by
/// both runners (<see cref="QueryRunner"/>, <see cref="GroupRunner"/>) through <see cref="RequestRunner"/>.
/// </summary>
/// <param name="Host">The session as the runners see it: what answers a whole request.</param>
/// <param name="Nodes">The session's connections, main and the live others.</param>
/// <param name="State">The client's transaction state.</param>
/// <param name="Replies">Reads the nodes' replies, forwarding the answering node's.</param>
/// <param name="Write">The write path: the order of every write and transaction end.</param>
/// <param name="Answer">Main's answer while the others' can still fail the statement.</param>
/// <param name="Deadline">replication_answer_timeout.</param>
/// <param name="CopyIn">COPY FROM STDIN data to every node.</param>
/// <param name="Catalog">What main's catalog says (volatility, sequences, defaults).</param>
/// <param name="Idle">Watches the client and main between requests.</param>
/// <param name="Policy">Statement classification and routing.</param>
/// <param name="ClientOutput">The client's output.</param>
/// <param name="Time">The clock.</param>
internal sealed record RequestParts(IRequestHost Host, SessionLinks Nodes, ClientState State, ReplyReader Replies,
    WritePath Write, HeldAnswer Answer, AnswerDeadline Deadline, CopyInRelay CopyIn, MainCatalog Catalog,
    IdleWatch Idle, RoutingPolicy Policy, PipeWriter ClientOutput, TimeProvider Time);
