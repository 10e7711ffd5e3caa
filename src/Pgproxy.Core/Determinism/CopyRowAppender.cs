using System.Buffers;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// Appends fixed fields to every row of COPY FROM STDIN data in text or CSV format, as the data streams by in
/// pieces cut anywhere: the other nodes then store main's value for a column the COPY left to a time-based
/// default (DESIGN §4). A row ends at a newline (or carriage return) that is not escaped by a backslash (text)
/// or inside quotes (CSV); the field goes right before it, so <c>\r\n</c> stays intact. The first line of a
/// COPY with HEADER gets the column names instead, and the end-of-data line <c>\.</c> and anything after it
/// are left alone. Client encodings where a multi-byte character can contain an ASCII byte (SJIS, BIG5, GBK,
/// UHC, GB18030) are not supported: PostgreSQL itself refuses them as a server encoding.
/// </summary>
internal sealed class CopyRowAppender
{
    private readonly bool _csv;
    private readonly byte _quote;
    private readonly byte _escape;
    private readonly byte[] _rowSuffix;
    private readonly byte[]? _headerSuffix;
    private readonly SearchValues<byte> _textSpecials;
    private readonly SearchValues<byte> _csvSpecials;
    private readonly SearchValues<byte> _quotedSpecials;

    private bool _header;
    private bool _inQuote;
    private bool _escapePending;
    private bool _afterCarriageReturn;
    private bool _ended;
    private long _lineLength;
    private byte _first;
    private byte _second;

    /// <param name="csv">CSV format; otherwise text.</param>
    /// <param name="quote">CSV quote character.</param>
    /// <param name="escape">CSV escape character (the quote itself by default).</param>
    /// <param name="rowSuffix">What each data row gets before its end: delimiter and value per column.</param>
    /// <param name="headerSuffix">What the header line gets, when the COPY has one.</param>
    public CopyRowAppender(bool csv, byte quote, byte escape, byte[] rowSuffix, byte[]? headerSuffix)
    {
        _csv = csv;
        _quote = quote;
        _escape = escape;
        _rowSuffix = rowSuffix;
        _headerSuffix = headerSuffix;
        _header = headerSuffix is not null;
        _textSpecials = SearchValues.Create([(byte)'\\', (byte)'\n', (byte)'\r']);
        _csvSpecials = SearchValues.Create([quote, (byte)'\n', (byte)'\r']);
        _quotedSpecials = quote == escape ? SearchValues.Create([quote]) : SearchValues.Create([quote, escape]);
    }

    /// <summary>Writes <paramref name="data"/>, the next piece of the stream, with the fields added.</summary>
    public void Append(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var copied = 0;
        var i = 0;
        while (i < data.Length && !_ended)
        {
            if (_afterCarriageReturn)
            {
                // \r\n ends one line, not two.
                _afterCarriageReturn = false;
                if (data[i] == (byte)'\n')
                {
                    i++;
                    continue;
                }
            }

            if (_escapePending)
            {
                _escapePending = false;
                Track(data[i]);
                i++;
                continue;
            }

            var specials = !_csv ? _textSpecials : _inQuote ? _quotedSpecials : _csvSpecials;
            var next = data[i..].IndexOfAny(specials);
            if (next < 0)
            {
                TrackRun(data[i..]);
                break;
            }

            TrackRun(data.Slice(i, next));
            i += next;
            var b = data[i];
            if (b is (byte)'\n' or (byte)'\r' && !_inQuote)
            {
                output.Write(data[copied..i]);
                copied = i;
                EndLine(output);
                _afterCarriageReturn = b == (byte)'\r';
                i++;
                continue;
            }

            Track(b);
            i++;
            if (!_csv || (_inQuote && b == _escape && _escape != _quote))
            {
                _escapePending = true;
            }
            else if (b == _quote)
            {
                _inQuote = !_inQuote;
            }
        }

        output.Write(data[copied..]);
    }

    /// <summary>The client ended the data: a last line without a newline still gets its fields.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (!_ended && _lineLength > 0 && !_inQuote && !IsEndMarker())
        {
            output.Write(_header ? _headerSuffix! : _rowSuffix);
        }

        _ended = true;
    }

    private void EndLine(IBufferWriter<byte> output)
    {
        if (IsEndMarker())
        {
            _ended = true;
            return;
        }

        output.Write(_header ? _headerSuffix! : _rowSuffix);
        _header = false;
        _lineLength = 0;
    }

    private bool IsEndMarker() => _lineLength == 2 && _first == (byte)'\\' && _second == (byte)'.' && !_inQuote;

    private void Track(byte b)
    {
        if (_lineLength == 0)
        {
            _first = b;
        }
        else if (_lineLength == 1)
        {
            _second = b;
        }

        _lineLength++;
    }

    private void TrackRun(ReadOnlySpan<byte> run)
    {
        var i = 0;
        while (i < run.Length && _lineLength < 2)
        {
            Track(run[i++]);
        }

        _lineLength += run.Length - i;
    }
}
