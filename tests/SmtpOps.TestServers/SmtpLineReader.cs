using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// Reads CRLF-terminated lines (a bare LF also ends a line) and exact byte counts from a stream. Buffered bytes are
/// never carried over to another reader, so a new reader after STARTTLS discards any plaintext sent ahead of the handshake.
/// </summary>
internal sealed class SmtpLineReader(Stream stream)
{
    readonly byte[] _buffer = new byte[8192];
    readonly MemoryStream _line = new();
    int _offset;
    int _count;

    /// <summary>The next line without its line end; null at end of stream.</summary>
    /// <exception cref="InvalidDataException">
    /// The line is longer than <paramref name="maxLength"/> bytes; it has been read to its end, so the next read starts a fresh line.
    /// </exception>
    public async Task<byte[]?> ReadLineAsync(int maxLength, CancellationToken ct)
    {
        _line.SetLength(0);
        var tooLong = false;
        while (true)
        {
            if (_offset == _count && !await FillAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var newline = Array.IndexOf(_buffer, (byte)'\n', _offset, _count - _offset);
            var end = newline < 0 ? _count : newline + 1;
            if (!tooLong)
            {
                _line.Write(_buffer, _offset, end - _offset);
                tooLong = _line.Length > maxLength + 2;
            }

            _offset = end;
            if (newline >= 0)
            {
                if (tooLong)
                {
                    throw new InvalidDataException($"Line longer than {maxLength} bytes.");
                }

                var line = _line.ToArray();
                var length = line.Length >= 2 && line[^2] == '\r' ? line.Length - 2 : line.Length - 1;
                return line[..length];
            }
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes (a BDAT chunk); null if the stream ends first.</summary>
    public async Task<byte[]?> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_offset == _count && !await FillAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var take = Math.Min(count - filled, _count - _offset);
            Array.Copy(_buffer, _offset, result, filled, take);
            _offset += take;
            filled += take;
        }

        return result;
    }

    async Task<bool> FillAsync(CancellationToken ct)
    {
        _offset = 0;
        _count = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
        return _count > 0;
    }
}
