using System;
using System.Text;
using MailKit;

namespace SmtpOps.Smtp;

/// <summary>
/// Writes the SMTP dialogue to a file: commands and replies with timestamps, AUTH secrets
/// redacted by MailKit, and the message content (after 354, or in BDAT chunks) replaced by
/// its size, so that a 100 MB attachment neither bloats the transcript nor leaks into it.
/// </summary>
internal sealed class TranscriptLogger : IProtocolLogger
{
    private readonly ProtocolLogger inner;
    private bool inData;
    private long dataBytes;

    public TranscriptLogger(string path)
    {
        inner = new ProtocolLogger(path, append: true) { RedactSecrets = true, LogTimestamps = true };
    }

    public TranscriptLogger(Action<string> sink)
    {
        inner = new ProtocolLogger(new LineSinkStream(sink), leaveOpen: false) { RedactSecrets = true };
    }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector
    {
        get => inner.AuthenticationSecretDetector;
        set => inner.AuthenticationSecretDetector = value;
    }

    public void LogConnect(Uri uri) => inner.LogConnect(uri);

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (inData)
        {
            dataBytes += count;
            return;
        }

        if (StartsWith(buffer, offset, count, "BDAT "))
        {
            // Log the command line only; the chunk that follows is content.
            var end = IndexOfLineEnd(buffer, offset, count);
            inner.LogClient(buffer, offset, end - offset);
            inData = true;
            dataBytes = count - (end - offset);
            return;
        }

        inner.LogClient(buffer, offset, count);
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        if (inData && !StartsWith(buffer, offset, count, "354"))
        {
            var note = Encoding.ASCII.GetBytes($"[message content: {dataBytes} bytes, not logged]\r\n");
            inner.LogClient(note, 0, note.Length);
            inData = false;
        }

        inner.LogServer(buffer, offset, count);
        if (StartsWith(buffer, offset, count, "354"))
        {
            inData = true;
            dataBytes = 0;
        }
    }

    /// <summary>Adds a line of our own (not part of the dialogue), marked with "**".</summary>
    /// <param name="text">One line of text.</param>
    public void Note(string text)
    {
        var stamp = inner.LogTimestamps ? DateTime.UtcNow.ToString(inner.TimestampFormat, System.Globalization.CultureInfo.InvariantCulture) + " " : string.Empty;
        var line = Encoding.UTF8.GetBytes($"{stamp}** {text}\r\n");
        inner.Stream.Write(line, 0, line.Length);
        inner.Stream.Flush();
    }

    public void Dispose() => inner.Dispose();

    private static bool StartsWith(byte[] buffer, int offset, int count, string prefix)
    {
        if (count < prefix.Length)
        {
            return false;
        }

        for (var i = 0; i < prefix.Length; i++)
        {
            if (char.ToUpperInvariant((char)buffer[offset + i]) != prefix[i])
            {
                return false;
            }
        }

        return true;
    }

    private static int IndexOfLineEnd(byte[] buffer, int offset, int count)
    {
        for (var i = offset; i < offset + count - 1; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n')
            {
                return i + 2;
            }
        }

        return offset + count;
    }
}
