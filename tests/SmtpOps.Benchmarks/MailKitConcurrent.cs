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
        var quarter = count / 4;
        var cpuAtQuarter = TimeSpan.Zero;
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
                if (index == quarter + 1)
                {
                    // The steady state: CPU from here on leaves out start-up and the JIT's warm-up.
                    cpuAtQuarter = Process.GetCurrentProcess().TotalProcessorTime;
                }

                using var message = BenchMessage.Create(index);
                await client.SendAsync(message).ConfigureAwait(false);
            }

            await client.DisconnectAsync(true).ConfigureAwait(false);
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        // cpuMs: the whole process (start-up included); steadyCpuMs: the last three quarters of the messages.
        return JsonSerializer.Serialize(new { command = "mailkit-concurrent", count, concurrency, elapsedMs = stopwatch.Elapsed.TotalMilliseconds, cpuMs = cpu.TotalMilliseconds, steadyCpuMs = (cpu - cpuAtQuarter).TotalMilliseconds, steadyCount = count - quarter });
    }
}
