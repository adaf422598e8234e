using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace SmtpOps.Benchmarks;

/// <summary>The limit for bulk sending: one MailKit connection, the async API, one small message after the other.</summary>
internal static class MailKitBulk
{
    public static async Task<string> RunAsync(int port, int count, bool noDelay)
    {
        // One warm-up message over its own connection (JIT, MimeKit's static state), as the pwsh side warms up too.
        using (var warmUp = new SmtpClient())
        {
            await warmUp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None).ConfigureAwait(false);
            await warmUp.SendAsync(Create(0)).ConfigureAwait(false);
            await warmUp.DisconnectAsync(true).ConfigureAwait(false);
        }

        var stopwatch = Stopwatch.StartNew();
        using var client = new SmtpClient();
        if (noDelay)
        {
            // MailKit leaves Nagle's algorithm on; with the server's delayed ACK that can stall each command.
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            await client.ConnectAsync(socket, "127.0.0.1", port, SecureSocketOptions.None).ConfigureAwait(false);
        }
        else
        {
            await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None).ConfigureAwait(false);
        }

        for (var i = 1; i <= count; i++)
        {
            await client.SendAsync(Create(i)).ConfigureAwait(false);
        }

        await client.DisconnectAsync(true).ConfigureAwait(false);
        stopwatch.Stop();
        return JsonSerializer.Serialize(new { command = "mailkit-bulk", count, noDelay, elapsedMs = stopwatch.Elapsed.TotalMilliseconds });
    }

    static MimeMessage Create(int index)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("bench@contoso.example"));
        message.To.Add(MailboxAddress.Parse("ops@contoso.example"));
        message.Subject = "Bench " + index.ToString(CultureInfo.InvariantCulture);
        message.Body = new TextPart("plain") { Text = "A small benchmark message." };
        return message;
    }
}
