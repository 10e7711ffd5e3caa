using System.Buffers.Binary;

namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>
/// Derives fuzz cases from recorded sessions, deterministically from (seed, case index): one to three mutations —
/// bit flips, byte insertions and deletions (with the length field fixed up or not), length fields set to 0, 3,
/// 4, off by one, huge or negative, truncation, type swaps, interesting values over count and length fields,
/// invalid UTF-8 and NUL bytes, messages spliced in from another session, repeated messages — then the bytes are
/// cut into a few pieces so message boundaries fall anywhere in the proxy's reads.
/// </summary>
internal sealed class SessionMutator(IReadOnlyList<RecordedSession> corpus)
{
    /// <summary>Cases stay small enough never to fill an in-memory pipe (64 KiB) the proxy stopped reading.</summary>
    private const int MaxCaseBytes = 32 * 1024;

    private static readonly int[] LengthValues =
        [0, 1, 3, 4, 5, 10_000, 10_001, 0x3FFF_FFFF, 0x4000_0000, int.MaxValue, -1, -4, int.MinValue];

    private static readonly byte[][] InterestingBytes =
    [
        [0], [0xFF], [0xFF, 0xFF], [0x7F, 0xFF], [0x80, 0x00], [0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFE],
        [0x7F, 0xFF, 0xFF, 0xFF], [0x80, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0xC3, 0x28], [0xED, 0xA0, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0x80], [(byte)'\''], [(byte)';'],
    ];

    private static readonly byte[] TypeBytes = "QPBDESHXCdcfFp123Z!x\0"u8.ToArray();

    public FuzzCase Create(int seed, int index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + index));
        var session = corpus[random.Next(corpus.Count)];
        var messages = session.Messages.Select(m => m.WithBytes([.. m.Bytes])).ToList();
        var log = new List<string>();
        var mutations = 1 + random.Next(3);
        for (var i = 0; i < mutations; i++)
        {
            Mutate(random, messages, log);
        }

        var bytes = messages.SelectMany(m => m.Bytes).Take(MaxCaseBytes).ToArray();
        if (random.Next(8) == 0 && bytes.Length > 1)
        {
            var keep = random.Next(1, bytes.Length);
            log.Add($"truncate the stream to {keep} of {bytes.Length} bytes");
            bytes = bytes[..keep];
        }

        return new FuzzCase(index, session.Name, log, Split(random, bytes), WaitBeforeClosing: index % 2 == 1);
    }

    private void Mutate(Random random, List<WireMessage> messages, List<string> log)
    {
        if (messages.Count == 0)
        {
            messages.Add(RecordedSessions.Sync());
        }

        var at = random.Next(messages.Count);
        var message = messages[at];
        var bytes = message.Bytes;
        if (bytes.Length == 0)
        {
            messages.RemoveAt(at); // truncated to nothing by an earlier mutation
            return;
        }

        switch (random.Next(11))
        {
            case 0:
                var bit = random.Next(bytes.Length * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                log.Add($"flip bit {bit} of message {at}");
                break;
            case 1:
                var insertAt = random.Next(bytes.Length + 1);
                var inserted = (byte)random.Next(256);
                messages[at] = FixLength(random, message.WithBytes([.. bytes[..insertAt], inserted, .. bytes[insertAt..]]),
                    log, $"insert 0x{inserted:X2} at {insertAt} of message {at}");
                break;
            case 2:
                var deleteAt = random.Next(bytes.Length);
                messages[at] = FixLength(random, message.WithBytes([.. bytes[..deleteAt], .. bytes[(deleteAt + 1)..]]),
                    log, $"delete byte {deleteAt} of message {at}");
                break;
            case 3:
                SetLength(random, message, at, log);
                break;
            case 4:
                var keep = random.Next(bytes.Length);
                messages[at] = message.WithBytes(bytes[..keep]);
                log.Add($"truncate message {at} to {keep} bytes");
                break;
            case 5 when !message.IsStartup:
                var type = TypeBytes[random.Next(TypeBytes.Length)];
                log.Add($"type of message {at} '{(char)bytes[0]}' -> 0x{type:X2}");
                bytes[0] = type;
                break;
            case 6:
                var other = corpus[random.Next(corpus.Count)];
                var donor = other.Messages[random.Next(other.Messages.Count)];
                messages.Insert(at, donor.WithBytes([.. donor.Bytes]));
                log.Add($"splice message {other.Messages.ToList().IndexOf(donor)} of '{other.Name}' before {at}");
                break;
            case 7:
                var times = random.Next(4) == 0 ? random.Next(20, 200) : random.Next(1, 4);
                messages.InsertRange(at, Enumerable.Range(0, times).Select(_ => message.WithBytes([.. bytes])));
                log.Add($"repeat message {at} {times} more time(s)");
                break;
            case 8:
                var value = InterestingBytes[random.Next(InterestingBytes.Length)];
                var body = message.LengthOffset + 4;
                if (bytes.Length >= body + value.Length)
                {
                    var offset = random.Next(body, bytes.Length - value.Length + 1);
                    value.CopyTo(bytes, offset);
                    log.Add($"write {Convert.ToHexString(value)} at {offset} of message {at}");
                }

                break;
            case 9:
                var bodyStart = message.LengthOffset + 4;
                var into = random.Next(Math.Min(bodyStart, bytes.Length), bytes.Length + 1);
                var junk = InterestingBytes[random.Next(InterestingBytes.Length)];
                messages[at] = FixLength(random, message.WithBytes([.. bytes[..into], .. junk, .. bytes[into..]]), log,
                    $"insert {Convert.ToHexString(junk)} at {into} of message {at}");
                break;
            default:
                messages.RemoveAt(at);
                log.Add($"drop message {at}");
                break;
        }
    }

    /// <summary>Usually keeps the length field true to the new size, so the mutation reaches the body's parser.</summary>
    private static WireMessage FixLength(Random random, WireMessage message, List<string> log, string what)
    {
        var bytes = message.Bytes;
        var fix = random.Next(4) != 0 && bytes.Length >= message.LengthOffset + 4;
        if (fix)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(message.LengthOffset), bytes.Length - message.LengthOffset);
        }

        log.Add(what + (fix ? " (length fixed up)" : ""));
        return message;
    }

    private static void SetLength(Random random, WireMessage message, int at, List<string> log)
    {
        var bytes = message.Bytes;
        if (bytes.Length < message.LengthOffset + 4)
        {
            return;
        }

        var field = bytes.AsSpan(message.LengthOffset, 4);
        var actual = BinaryPrimitives.ReadInt32BigEndian(field);
        var value = random.Next(3) switch
        {
            0 => actual + (random.Next(2) == 0 ? -1 : 1),
            1 => random.Next(),
            _ => LengthValues[random.Next(LengthValues.Length)],
        };
        BinaryPrimitives.WriteInt32BigEndian(field, value);
        log.Add($"length of message {at} {actual} -> {value}");
    }

    private static List<byte[]> Split(Random random, byte[] bytes)
    {
        var cuts = Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(bytes.Length + 1))
            .Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        var pieces = new List<byte[]>();
        for (var i = 1; i < cuts.Length; i++)
        {
            pieces.Add(bytes[cuts[i - 1]..cuts[i]]);
        }

        return pieces;
    }
}
