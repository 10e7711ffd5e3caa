using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// What a client hears when an autocommit statement's deferred foreign key fails at its implicit commit: PostgreSQL
/// sends the statement's result and then the error (a Query string's last CommandComplete never comes, as it commits
/// before that tag; an extended Execute's comes before the Sync's commit). Asked of node 0 directly and of the proxy,
/// message for message, in both protocols, whichever way the proxy commits.
/// </summary>
internal static class ImplicitCommitErrorAnswers
{
    public static async Task AssertAsDirectAsync(int nodePort, int proxyPort, string insert)
    {
        byte[][] requests =
        [
            RawPgClient.Query(insert),
            [.. RawPgClient.Parse(insert), .. RawPgClient.Bind(), .. RawPgClient.Describe(), .. RawPgClient.Execute(),
                .. RawPgClient.Sync()],
        ];
        foreach (var request in requests)
        {
            var answers = new List<string>();
            foreach (var port in new[] { nodePort, proxyPort })
            {
                await using var raw = await RawPgClient.ConnectAsync(port);
                await raw.StartupAsync();
                await raw.SendAsync(request);
                var answer = await raw.ReadUntilAsync('Z').WaitAsync(TimeSpan.FromSeconds(30));
                var error = answer.Single(m => m.Type == 'E').Body;
                answers.Add($"{RawPgClient.Types(answer)} {(char)answer[^1].Body[0]} {RawPgClient.ErrorField(error, 'C')} " +
                            $"{RawPgClient.ErrorField(error, 'M')} / {RawPgClient.ErrorField(error, 'D')}");
                await raw.SendAsync(RawPgClient.Query("SELECT 1"));
                Assert.Equal("TDCZ", RawPgClient.Types(await raw.ReadUntilReadyAsync()));
            }

            Assert.StartsWith(request[0] == (byte)'Q' ? "TDEZ I 23503" : "12TDCEZ I 23503", answers[0],
                StringComparison.Ordinal);
            Assert.Equal(answers[0], answers[1]);
        }
    }
}
