using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Protocol.Tests.Writing;

public class PregeneratedMessagesTests
{
    [Fact]
    public void PregeneratedMessages_MatchTheWriters()
    {
        Assert.Equal(Written.By(w => BackendMessageWriter.WriteReadyForQuery(w, TransactionStatus.Idle)),
            PregeneratedMessages.ReadyForQueryIdle.ToArray());
        Assert.Equal(Written.By(w => BackendMessageWriter.WriteReadyForQuery(w, TransactionStatus.InTransaction)),
            PregeneratedMessages.ReadyForQueryInTransaction.ToArray());
        Assert.Equal(Written.By(w => BackendMessageWriter.WriteReadyForQuery(w, TransactionStatus.Failed)),
            PregeneratedMessages.ReadyForQueryFailed.ToArray());
        Assert.Equal(Written.By(BackendMessageWriter.WriteAuthenticationOk),
            PregeneratedMessages.AuthenticationOk.ToArray());
        Assert.Equal(Written.By(FrontendMessageWriter.WriteTerminate), PregeneratedMessages.Terminate.ToArray());
        Assert.Equal(Written.By(FrontendMessageWriter.WriteSync), PregeneratedMessages.Sync.ToArray());
        Assert.Equal([(byte)'N'], PregeneratedMessages.SslRefused.ToArray());
    }
}
