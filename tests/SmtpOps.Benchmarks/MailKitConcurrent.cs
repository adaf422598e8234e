using System;
using System.Diagnostics;
using System.Linq;
using System.Net.Security;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace SmtpOps.Benchmarks;

/// <summary>
/// The limit for the relay: the same messages sent straight to the smarthost with MailKit, over
/// CONCURRENCY connections that each do STARTTLS and AUTH once and then send one message after the
/// other, no queue, no Storage, no ledger.
/// </summary>
internal static class MailKitConcurrent
{
    public static async Task<string> RunAsync(int port, int count, int concurrency, string user, string password, string thumbprint)
    {
        var next = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            using var client = new SmtpClient
            {
                // The sink's certificate is self-signed: pin it, as the relay does (CertificateThumbprints).
                ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None || string.Equals(certificate?.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase),
            };
            await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.StartTls).ConfigureAwait(false);
            await client.AuthenticateAsync(user, password).ConfigureAwait(false);
            int index;
            while ((index = Interlocked.Increment(ref next)) <= count)
            {
                using var message = BenchMessage.Create(index);
                await client.SendAsync(message).ConfigureAwait(false);
            }

            await client.DisconnectAsync(true).ConfigureAwait(false);
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        stopwatch.Stop();
        var cpuMs = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        return JsonSerializer.Serialize(new { command = "mailkit-concurrent", count, concurrency, elapsedMs = stopwatch.Elapsed.TotalMilliseconds, cpuMs });
    }
}
