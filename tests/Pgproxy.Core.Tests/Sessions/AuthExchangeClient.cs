using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hba;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// What the client-authentication tests share: a harness with pool_hba.conf and pool_passwd, and a client that
/// speaks the password, md5 and SCRAM exchanges and reads what pgproxy answers.
/// </summary>
internal static class AuthExchangeClient
{
    public static ProxyHarness Harness(string? hba, string poolPasswd, ScriptedBackendScript? script = null,
        bool allowClearText = false, Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var harness = new ProxyHarness(script, o =>
        {
            o = o with { AllowClearTextFrontendAuth = allowClearText };
            return configure is null ? o : configure(o);
        });
        harness.Runtime.PoolPasswd = PoolPasswd.FromText(poolPasswd);
        if (hba is not null)
        {
            harness.Runtime.HbaRules = HbaFileParser.Parse(hba, "pool_hba.conf").Rules;
        }

        return harness;
    }

    public static async Task<RawClient> StartAsync(ProxyHarness harness, string user)
    {
        var client = harness.Connect();
        await client.SendStartupAsync(user, "app");
        return client;
    }

    /// <summary>Reads an AuthenticationRequest with this code and returns its data (the md5 salt…).</summary>
    public static async Task<byte[]> ExpectAuthenticationAsync(RawClient client, int code)
    {
        var message = await client.ReadMessageAsync();
        Assert.NotNull(message);
        Assert.True(message.Type == 'R', $"expected an AuthenticationRequest, got {message} {Message(message)}");
        Assert.Equal(code, message.Int32At(0));
        return message.Body[4..].ToArray();
    }

    public static async Task ExpectFatalAsync(RawClient client, string sqlState, string messageStart)
    {
        var messages = await client.ReadToEndAsync();
        var error = Assert.Single(messages);
        Assert.Equal('E', error.Type);
        Assert.Equal(sqlState, error.SqlState);
        Assert.StartsWith(messageStart, Message(error), StringComparison.Ordinal);
        await client.WaitForSessionEndAsync();
    }

    public static async Task<ScramSha256Client> ScramAsync(RawClient client, string password)
    {
        await ExpectAuthenticationAsync(client, AuthenticationCode.Sasl);
        var scram = new ScramSha256Client(password);
        await client.SendAsync(SaslInitial("SCRAM-SHA-256", Encoding.UTF8.GetBytes(scram.CreateClientFirstMessage())));
        var serverFirst = await ExpectAuthenticationAsync(client, AuthenticationCode.SaslContinue);
        var final = scram.HandleServerFirstMessage(Encoding.UTF8.GetString(serverFirst));
        await client.SendAsync(Write(w => FrontendMessageWriter.WriteSaslResponse(w, Encoding.UTF8.GetBytes(final))));
        return scram;
    }

    public static Task SendPasswordAsync(RawClient client, string password) =>
        client.SendAsync(Write(w => FrontendMessageWriter.WritePasswordMessage(w, password)));

    /// <summary>A SASLInitialResponse whose data length field may lie (-1 is 0xFFFFFFFF, "no data").</summary>
    public static byte[] SaslInitial(string mechanism, ReadOnlySpan<byte> data, int? declaredLength = null)
    {
        var body = new List<byte>();
        body.AddRange(Encoding.UTF8.GetBytes(mechanism));
        body.Add(0);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, declaredLength ?? data.Length);
        body.AddRange(length);
        body.AddRange(data.ToArray());
        return Frame('p', body.ToArray());
    }

    public static byte[] Frame(char type, ReadOnlySpan<byte> body)
    {
        var frame = new byte[5 + body.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + body.Length);
        body.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static byte[] Write(Action<ArrayBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return writer.WrittenSpan.ToArray();
    }

    public static string Message(BackendMessage message) =>
        Protocol.Backend.ErrorResponseMessage.Parse(message.Body).Message ?? "";
}
