using System;
using System.IO;
using System.Text;

namespace SmtpOps.Smtp;

/// <summary>A write-only stream that hands each complete text line to a callback (for transcripts sent to a logger).</summary>
internal sealed class LineSinkStream : Stream
{
    private readonly Action<string> sink;
    private readonly MemoryStream pending = new();

    public LineSinkStream(Action<string> sink) => this.sink = sink;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        for (var i = offset; i < offset + count; i++)
        {
            if (buffer[i] == (byte)'\n')
            {
                sink(Encoding.UTF8.GetString(pending.GetBuffer(), 0, (int)pending.Length).TrimEnd('\r'));
                pending.SetLength(0);
            }
            else
            {
                pending.WriteByte(buffer[i]);
            }
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && pending.Length > 0)
        {
            sink(Encoding.UTF8.GetString(pending.GetBuffer(), 0, (int)pending.Length));
            pending.SetLength(0);
        }

        base.Dispose(disposing);
    }
}
