using System.Text;
using Xunit;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>What a <see cref="RawClient"/> received, in a readable form for assertions.</summary>
internal static class ClientReplies
{
    /// <summary><c>C INSERT 0 1</c>, <c>E 23505</c>, <c>N 01000</c>, <c>Z I</c>, or the type alone for anything else.</summary>
    public static IReadOnlyList<string> Render(IEnumerable<BackendMessage> messages) =>
        [.. messages.Select(m => m.Type switch
        {
            'C' => "C " + Encoding.UTF8.GetString(m.Body[..^1]),
            'E' or 'N' => m.Type + " " + m.SqlState,
            'Z' => "Z " + (char)m.Body[0],
            _ => m.Type.ToString(),
        })];

    /// <summary>Sends a request and returns what came back up to and including ReadyForQuery.</summary>
    public static async Task<IReadOnlyList<string>> ExchangeAsync(this RawClient client, byte[] request)
    {
        await client.SendAsync(request);
        return Render(await client.ReadUntilReadyForQueryAsync());
    }

    /// <summary>Sends a simple Query and returns what came back up to and including ReadyForQuery.</summary>
    public static Task<IReadOnlyList<string>> QueryAsync(this RawClient client, string sql) =>
        client.ExchangeAsync(ClientFrames.Query(sql));

    /// <summary>Sends a request and returns what came back up to and including a message of type
    /// <paramref name="last"/> (CopyInResponse, say); fails if the connection ends first.</summary>
    public static async Task<IReadOnlyList<string>> ExchangeUntilAsync(this RawClient client, byte[] request, char last)
    {
        await client.SendAsync(request);
        var messages = new List<BackendMessage>();
        while (await client.ReadMessageAsync() is { } message)
        {
            messages.Add(message);
            if (message.Type == last)
            {
                return Render(messages);
            }
        }

        Assert.Fail($"connection closed before '{last}' after [{string.Join(", ", Render(messages))}]");
        return [];
    }
}
