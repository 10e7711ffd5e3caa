using System.Buffers;
using Pgproxy.Protocol.Framing;
using Pgproxy.TestUtilities;

namespace Pgproxy.Protocol.Tests.Framing;

public class StartupPacketReaderTests
{
    private static byte[] Startup(int version, params string[] pairs)
    {
        var body = new WireBytes().Int32(version);
        foreach (string s in pairs)
        {
            body.CString(s);
        }

        body.Byte(0);
        byte[] bodyBytes = body.ToArray();
        return new WireBytes().Int32(bodyBytes.Length + 4).Bytes(bodyBytes).ToArray();
    }

    private static readonly byte[] TypicalStartup = Startup(196608,
        "user", "alice", "database", "shop", "application_name", "psql", "_pq_.compression", "on");

    /// <summary>Runs <paramref name="assert"/> on every shape of the bytes, each followed by a trailing 'Q'.</summary>
    private static void ForEveryShape(byte[] packet, Action<StartupPacket, ReadOnlySequence<byte>> assert)
    {
        byte[] withTrailing = [.. packet, (byte)'Q'];
        foreach (ReadOnlySequence<byte> shape in ReadOnlySequenceFactory.AllShapes(withTrailing))
        {
            ReadOnlySequence<byte> buffer = shape;
            Assert.True(StartupPacketReader.TryRead(ref buffer, out StartupPacket? packetRead));
            Assert.NotNull(packetRead);
            assert(packetRead, buffer);
        }
    }

    [Fact]
    public void EveryByte_InNamesAndValues_IsKeptAsSent()
    {
        // Every byte but NUL, in a name and a value; bytes that are not UTF-8 must not be "repaired" on the way.
        byte[] all = [.. Enumerable.Range(1, 255).Select(b => (byte)b)];
        var body = new WireBytes().Int32(196608).CString("user").CString("alice");
        body.Bytes([(byte)'n', .. all]).Byte(0).Bytes(all).Byte(0).Byte(0);
        byte[] bodyBytes = body.ToArray();
        byte[] packet = new WireBytes().Int32(bodyBytes.Length + 4).Bytes(bodyBytes).ToArray();

        ForEveryShape(packet, (read, _) =>
        {
            Assert.Equal([(byte)'n', .. all], read.Parameters[1].NameBytes.ToArray());
            Assert.Equal(all, read.Parameters[1].ValueBytes.ToArray());
        });
    }

    [Theory]
    [InlineData("user")]
    [InlineData("database")]
    public void IdentityNotValidUtf8_IsAProtocolViolation(string name)
    {
        var body = new WireBytes().Int32(196608);
        if (name != "user")
        {
            body.CString("user").CString("alice");
        }

        body.CString(name).Bytes([(byte)'a', 0xC3, 0x28]).Byte(0).Byte(0);
        byte[] bodyBytes = body.ToArray();
        var buffer = new ReadOnlySequence<byte>(new WireBytes().Int32(bodyBytes.Length + 4).Bytes(bodyBytes).ToArray());

        var e = Assert.Throws<ProtocolViolationException>(() => StartupPacketReader.TryRead(ref buffer, out _));
        Assert.Equal(ProtocolViolationReason.MalformedStartupPacket, e.Reason);
    }

    [Fact]
    public void RepeatedParameter_GetParameterGivesTheLast()
    {
        var buffer = new ReadOnlySequence<byte>(Startup(196608, "user", "alice", "application_name", "a",
            "application_name", "b"));
        Assert.True(StartupPacketReader.TryRead(ref buffer, out var packet));
        Assert.Equal("b", packet!.GetParameter("application_name"));
    }

    [Fact]
    public void TryRead_StartupMessage_DecodesParametersInWireOrder()
    {
        ForEveryShape(TypicalStartup, (packet, rest) =>
        {
            Assert.Equal(StartupPacketKind.StartupMessage, packet.Kind);
            Assert.Equal(StartupPacket.ProtocolVersion30, packet.ProtocolVersion);
            Assert.Equal("alice", packet.User);
            Assert.Equal("shop", packet.Database);
            Assert.Equal(
                [
                    new("user", "alice"), new("database", "shop"), new("application_name", "psql"),
                    new KeyValuePair<string, string>("_pq_.compression", "on"),
                ],
                packet.Parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
            Assert.Equal(["_pq_.compression"], packet.UnsupportedProtocolOptions);
            Assert.Equal("psql", packet.GetParameter("application_name"));
            Assert.Null(packet.GetParameter("options"));
            Assert.Equal([(byte)'Q'], rest.ToArray());
        });
    }

    [Fact]
    public void TryRead_EveryIncompletePrefix_ReturnsFalseAndLeavesBufferUntouched()
    {
        for (int length = 0; length < TypicalStartup.Length; length++)
        {
            foreach (ReadOnlySequence<byte> shape in ReadOnlySequenceFactory.AllShapes(TypicalStartup[..length]))
            {
                ReadOnlySequence<byte> buffer = shape;
                Assert.False(StartupPacketReader.TryRead(ref buffer, out StartupPacket? packet));
                Assert.Null(packet);
                Assert.Equal(shape, buffer);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryRead_NoOrEmptyDatabase_DefaultsToUser(bool sendEmptyDatabase)
    {
        string[] pairs = sendEmptyDatabase ? ["user", "bob", "database", ""] : ["user", "bob"];
        ForEveryShape(Startup(196608, pairs), (packet, _) => Assert.Equal("bob", packet.Database));
    }

    [Fact]
    public void TryRead_NewerMinorVersion_IsAccepted()
    {
        ForEveryShape(Startup((3 << 16) | 2, "user", "u"), (packet, _) =>
        {
            Assert.Equal(3, packet.ProtocolMajorVersion);
            Assert.Equal(2, packet.ProtocolMinorVersion);
        });
    }

    [Fact]
    public void TryRead_Utf8Parameters_DecodesUtf8()
    {
        ForEveryShape(Startup(196608, "user", "zoë", "application_name", "日本"), (packet, _) =>
        {
            Assert.Equal("zoë", packet.User);
            Assert.Equal("日本", packet.GetParameter("application_name"));
        });
    }

    [Theory]
    [InlineData(80877103, StartupPacketKind.SslRequest)]
    [InlineData(80877104, StartupPacketKind.GssEncRequest)]
    public void TryRead_EncryptionRequest_ReturnsKind(int code, StartupPacketKind kind)
    {
        byte[] bytes = new WireBytes().Int32(8).Int32(code).ToArray();
        ForEveryShape(bytes, (packet, rest) =>
        {
            Assert.Equal(kind, packet.Kind);
            Assert.Equal("", packet.User);
            Assert.Empty(packet.Parameters);
            Assert.Equal(1, rest.Length);
        });
    }

    [Fact]
    public void TryRead_CancelRequest_ReturnsProcessIdAndKey()
    {
        byte[] bytes = new WireBytes().Int32(16).Int32(80877102).Int32(4242).Int32(-559038737).ToArray();
        ForEveryShape(bytes, (packet, _) =>
        {
            Assert.Equal(StartupPacketKind.CancelRequest, packet.Kind);
            Assert.Equal(4242, packet.CancelProcessId);
            Assert.Equal(-559038737, packet.CancelSecretKey);
        });
    }

    public static TheoryData<byte[], ProtocolViolationReason> HostileLengths => new()
    {
        // Only the length field is sent: the reader must reject it without waiting for a body.
        { new WireBytes().Int32(7).ToArray(), ProtocolViolationReason.StartupPacketTooSmall },
        { new WireBytes().Int32(0).ToArray(), ProtocolViolationReason.StartupPacketTooSmall },
        { new WireBytes().Int32(-1).ToArray(), ProtocolViolationReason.StartupPacketTooSmall },
        { new WireBytes().Int32(10001).ToArray(), ProtocolViolationReason.StartupPacketTooLarge },
        { new WireBytes().Int32(0x7fffffff).ToArray(), ProtocolViolationReason.StartupPacketTooLarge },
    };

    public static TheoryData<byte[], ProtocolViolationReason> MalformedPackets => new()
    {
        { Startup(2 << 16, "user", "u"), ProtocolViolationReason.UnsupportedProtocolVersion },
        { Startup(4 << 16, "user", "u"), ProtocolViolationReason.UnsupportedProtocolVersion },
        // No terminator after the last pair.
        { new WireBytes().Int32(15).Int32(196608).CString("user").CString("u").ToArray(),
            ProtocolViolationReason.MalformedStartupPacket },
        // A name without a value.
        { new WireBytes().Int32(13).Int32(196608).CString("user").ToArray(),
            ProtocolViolationReason.MalformedStartupPacket },
        // Nothing after the version: no terminator at all.
        { new WireBytes().Int32(8).Int32(196608).ToArray(), ProtocolViolationReason.MalformedStartupPacket },
        // Bytes after the terminator.
        { new WireBytes().Int32(17).Int32(196608).CString("user").CString("u").Byte(0).Byte(1).ToArray(),
            ProtocolViolationReason.MalformedStartupPacket },
        { Startup(196608, "database", "d"), ProtocolViolationReason.MissingUser },
        { Startup(196608, "user", ""), ProtocolViolationReason.MissingUser },
        { new WireBytes().Int32(12).Int32(80877102).Int32(1).ToArray(),
            ProtocolViolationReason.MalformedStartupPacket },
        { new WireBytes().Int32(20).Int32(80877102).Int32(1).Int32(2).Int32(3).ToArray(),
            ProtocolViolationReason.MalformedStartupPacket },
        { new WireBytes().Int32(12).Int32(80877103).Int32(0).ToArray(),
            ProtocolViolationReason.MalformedStartupPacket },
    };

    [Theory]
    [MemberData(nameof(HostileLengths))]
    [MemberData(nameof(MalformedPackets))]
    public void TryRead_MalformedPacket_ThrowsReason(byte[] bytes, ProtocolViolationReason reason)
    {
        foreach (ReadOnlySequence<byte> shape in ReadOnlySequenceFactory.AllShapes(bytes))
        {
            ReadOnlySequence<byte> buffer = shape;
            var ex = Assert.Throws<ProtocolViolationException>(() => StartupPacketReader.TryRead(ref buffer, out _));
            Assert.Equal(reason, ex.Reason);
        }
    }

    [Fact]
    public void TryRead_Protocol4_MessageReadsLikePostgres()
    {
        ReadOnlySequence<byte> buffer = new(Startup(4 << 16, "user", "u"));
        var ex = Assert.Throws<ProtocolViolationException>(() => StartupPacketReader.TryRead(ref buffer, out _));
        Assert.Equal("unsupported frontend protocol 4.0: server supports 3.0 to 3.2", ex.Message);
    }

    [Fact]
    public void TryRead_MissingUser_MessageReadsLikePostgres()
    {
        ReadOnlySequence<byte> buffer = new(Startup(196608, "database", "d"));
        var ex = Assert.Throws<ProtocolViolationException>(() => StartupPacketReader.TryRead(ref buffer, out _));
        Assert.Equal("no PostgreSQL user name specified in startup packet", ex.Message);
    }

    [Fact]
    public void TryRead_MissingTerminator_MessageReadsLikePostgres()
    {
        ReadOnlySequence<byte> buffer = new(new WireBytes().Int32(8).Int32(196608).ToArray());
        var ex = Assert.Throws<ProtocolViolationException>(() => StartupPacketReader.TryRead(ref buffer, out _));
        Assert.Equal("invalid startup packet layout: expected terminator as last byte", ex.Message);
    }
}
