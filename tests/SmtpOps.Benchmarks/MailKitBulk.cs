using System.Diagnostics;
using System.Text.Json;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace SmtpOps.Benchmarks;

/// <summary>The limit for bulk sending: one MailKit connection, the async API, one small message after the other (elapsed and process CPU time of the timed part).</summary>
internal static class MailKitBulk
{
    public static async Task<string> RunAsync(int port, int count, int warmUpCount = 1)
    {
        // Untimed warm-up messages over their own connection (JIT and its tiering, MimeKit's static state), as the
        // pwsh side is warmed by an untimed pipeline of the same length: steady state against steady state.
        using (var warmUp = new SmtpClient())
        {
            await warmUp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None).ConfigureAwait(false);
            for (var i = 0; i < warmUpCount; i++)
            {
                using var message = BenchMessage.Create(0);
                await warmUp.SendAsync(message).ConfigureAwait(false);
            }

            await warmUp.DisconnectAsync(true).ConfigureAwait(false);
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None).ConfigureAwait(false);
        for (var i = 1; i <= count; i++)
        {
            using var message = BenchMessage.Create(i);
            await client.SendAsync(message).ConfigureAwait(false);
        }

        await client.DisconnectAsync(true).ConfigureAwait(false);
        stopwatch.Stop();
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return JsonSerializer.Serialize(new { command = "mailkit-bulk", count, elapsedMs = stopwatch.Elapsed.TotalMilliseconds, cpuMs });
    }
}
