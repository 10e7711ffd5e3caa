using System.Buffers.Binary;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A fast-path FunctionCall that creates a large object with an OID the server picks — what libpq's lo_creat,
/// lo_import and psql's <c>\lo_import</c> send — and the call the other nodes get instead, with main's OID: built-in
/// functions keep their OIDs in every database (lo_creat 957, lo_create 715, lo_import 764 and 767,
/// lo_from_bytea 3457), and libpq looks these very ones up.
/// </summary>
internal sealed class LargeObjectFunctionCall
{
    private const uint LoCreat = 957;
    private const uint LoCreate = 715;
    private const uint LoImport = 764;
    private const uint LoImportWithOid = 767;
    private const uint LoFromBytea = 3457;

    private readonly uint _function;
    private readonly byte[][] _args;
    private readonly short[] _formats;
    private readonly int _oidArg;
    private readonly short _resultFormat;

    private LargeObjectFunctionCall(uint function, byte[][] args, short[] formats, int oidArg, short resultFormat)
    {
        _function = function;
        _args = args;
        _formats = formats;
        _oidArg = oidArg;
        _resultFormat = resultFormat;
    }

    /// <summary>The result (main's OID) comes in binary format.</summary>
    public bool BinaryResult => _resultFormat == 1;

    /// <summary>The call when it lets the server pick a large object's OID; null for any other FunctionCall.</summary>
    public static LargeObjectFunctionCall? Parse(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 5 + 4 + 2)
        {
            return null;
        }

        var body = frame[5..];
        var function = BinaryPrimitives.ReadUInt32BigEndian(body);
        if (function is not (LoCreat or LoCreate or LoImport or LoImportWithOid or LoFromBytea))
        {
            return null;
        }

        try
        {
            return Read(function, body[4..]);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // a malformed message: the nodes reject it alike
        }
    }

    private static LargeObjectFunctionCall? Read(uint function, ReadOnlySpan<byte> rest)
    {
        var formatCount = BinaryPrimitives.ReadInt16BigEndian(rest);
        var codes = new short[Math.Max((int)formatCount, 0)];
        rest = rest[2..];
        for (var i = 0; i < codes.Length; i++, rest = rest[2..])
        {
            codes[i] = BinaryPrimitives.ReadInt16BigEndian(rest);
        }

        var argCount = BinaryPrimitives.ReadInt16BigEndian(rest);
        rest = rest[2..];
        var args = new byte[Math.Max((int)argCount, 0)][];
        var formats = new short[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(rest);
            args[i] = length < 0 ? null! : rest.Slice(4, length).ToArray();
            rest = rest[(4 + Math.Max(length, 0))..];
            formats[i] = codes.Length == 0 ? (short)0 : codes.Length == 1 ? codes[0] : i < codes.Length ? codes[i] : (short)0;
        }

        var resultFormat = BinaryPrimitives.ReadInt16BigEndian(rest);
        var oidArg = (function, args.Length) switch
        {
            (LoCreat, 1) or (LoImport, 1) => -1,
            (LoCreate, 1) or (LoFromBytea, 2) => 0,
            (LoImportWithOid, 2) => 1,
            _ => -2,
        };
        if (oidArg == -2 || Array.Exists(args, a => a is null)
            || (oidArg >= 0 && ReplyValueCapture.ReadOid(args[oidArg], formats[oidArg] == 1) != 0))
        {
            return null; // the OID is given (or the call is one PostgreSQL rejects on every node alike)
        }

        return new LargeObjectFunctionCall(function, args, formats, oidArg, resultFormat);
    }

    /// <summary>
    /// The FunctionCall the other nodes get: lo_create(oid) for lo_creat, lo_import(path, oid) for lo_import(path),
    /// the call itself with <paramref name="oid"/> for its OID argument otherwise; every argument's format spelt out.
    /// </summary>
    public byte[] OthersFrame(uint oid)
    {
        var (function, args, formats) = _oidArg switch
        {
            -1 when _function == LoCreat => (LoCreate, new[] { Oid(oid) }, new short[] { 1 }),
            -1 => (LoImportWithOid, new[] { _args[0], Oid(oid) }, new short[] { _formats[0], 1 }),
            _ => (_function, (byte[][])_args.Clone(), (short[])_formats.Clone()),
        };
        if (_oidArg >= 0)
        {
            args[_oidArg] = Oid(oid);
            formats[_oidArg] = 1;
        }

        var length = 4 + 4 + 2 + (2 * formats.Length) + 2 + args.Sum(a => 4 + a.Length) + 2;
        var frame = new byte[1 + length];
        frame[0] = (byte)'F';
        var span = frame.AsSpan(1);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], function);
        BinaryPrimitives.WriteInt16BigEndian(span[8..], (short)formats.Length);
        var at = 10;
        foreach (var format in formats)
        {
            BinaryPrimitives.WriteInt16BigEndian(span[at..], format);
            at += 2;
        }

        BinaryPrimitives.WriteInt16BigEndian(span[at..], (short)args.Length);
        at += 2;
        foreach (var arg in args)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], arg.Length);
            arg.CopyTo(span[(at + 4)..]);
            at += 4 + arg.Length;
        }

        BinaryPrimitives.WriteInt16BigEndian(span[at..], _resultFormat);
        return frame;
    }

    private static byte[] Oid(uint oid)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, oid);
        return bytes;
    }
}
