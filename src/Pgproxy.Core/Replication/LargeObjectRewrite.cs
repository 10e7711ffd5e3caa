using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A write that creates a large object with an OID the server picks, made identical on every node (issue 16
/// item 5): main runs it as the client sent it, the OID main picked is read from its answer as the answer passes
/// (<see cref="ReplyValueCapture"/>), and the others get the call with that OID made explicit.
/// </summary>
internal sealed class LargeObjectRewrite
{
    private readonly Func<uint, byte[]> _othersFrame;
    private readonly bool _binaryResult;

    private LargeObjectRewrite(Func<uint, byte[]> othersFrame, bool binaryResult)
    {
        _othersFrame = othersFrame;
        _binaryResult = binaryResult;
    }

    /// <summary>
    /// For a Query message: a single <c>SELECT lo_creat(…)</c>… whose text the others get with main's OID; null
    /// for anything else (refused shapes are refused before, or run unchanged under nondeterministic_write = allow).
    /// </summary>
    public static LargeObjectRewrite? ForQuery(StatementClassification? statement) =>
        statement?.LargeObjects is { Refusal: null, Parameter: 0 } call
            ? new LargeObjectRewrite(oid => InjectedQueries.Encode(call.OthersText(oid)), binaryResult: false)
            : null;

    /// <summary>For a FunctionCall message (libpq's lo_creat, lo_import…): null when it picks no OID.</summary>
    public static LargeObjectRewrite? ForFunctionCall(ReadOnlySpan<byte> frame) =>
        LargeObjectFunctionCall.Parse(frame) is { } call
            ? new LargeObjectRewrite(call.OthersFrame, call.BinaryResult)
            : null;

    /// <summary>Watches main's answer for the OID (called as main gets the write).</summary>
    public static void Arm(LargeObjectRewrite? rewrite, ReplyReader replies, NodeLink main)
    {
        if (rewrite is not null)
        {
            replies.Capture.Arm(main);
        }
    }

    /// <summary>
    /// The others' copy with main's OID, once main has answered; null when main's answer carried none (it failed:
    /// the others then run the client's message, expecting the same error).
    /// </summary>
    public byte[]? OthersFrame(ReplyReader replies) =>
        ReplyValueCapture.ReadOid(replies.Capture.Take(), _binaryResult) is { } oid ? _othersFrame(oid) : null;
}
