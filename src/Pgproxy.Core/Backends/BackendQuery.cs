using System.Buffers.Binary;
using System.Text;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Backends;

/// <summary>
/// One simple query on a connection of pgproxy's own (never a client's), its rows as text: for the cold paths that
/// look at a node themselves, such as resolving prepared transactions. An ErrorResponse is thrown as
/// <see cref="BackendQueryException"/> after the query cycle ends, so the connection stays usable.
/// </summary>
internal static class BackendQuery
{
    public static async Task<List<string?[]>> RunAsync(BackendConnection connection, string sql,
        CancellationToken cancellationToken)
    {
        FrontendMessageWriter.WriteQuery(connection.Output, sql);
        await connection.Output.FlushAsync(cancellationToken);
        var rows = new List<string?[]>();
        BackendQueryException? error = null;
        while (true)
        {
            var message = await WholeMessageReader.ReadAsync(connection.Input, cancellationToken)
                          ?? throw new IOException($"backend node {connection.NodeId} closed the connection");
            switch ((BackendMessageType)message.Type)
            {
                case BackendMessageType.DataRow:
                    rows.Add(ReadRow(message.Body));
                    break;
                case BackendMessageType.ErrorResponse:
                    var fields = ErrorResponseMessage.Parse(message.Body);
                    error ??= new BackendQueryException(fields.SqlState, fields.Message);
                    break;
                case BackendMessageType.ReadyForQuery:
                    connection.TransactionStatus = ReadyForQueryMessage.Read(message.Body);
                    return error is null ? rows : throw error;
                default:
                    break;
            }
        }
    }

    private static string?[] ReadRow(byte[] body)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(body);
        var values = new string?[count];
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(offset));
            offset += 4;
            if (length >= 0)
            {
                values[i] = Encoding.UTF8.GetString(body, offset, length);
                offset += length;
            }
        }

        return values;
    }
}
