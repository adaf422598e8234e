using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Tests.Relay;

/// <summary>What SmtpRelayClient throws when Storage does not answer: RelayStorageException, within its retry policy's bound.</summary>
public sealed class SmtpRelayClientFailureTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly MailMessageDefinition Mail = new()
    {
        From = "reports@contoso.test",
        To = new[] { "ops@contoso.test" },
        Subject = "Report",
        TextBody = "x",
    };

    private static string ConnectionString(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

    [Fact]
    public async Task AnEndpointThatAcceptsButNeverAnswersIsUnreachableAfterThePolicysTriesAndTimeouts()
    {
        // A silent server: it accepts connections and never sends a byte.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await listener.AcceptSocketAsync());
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // stopped
            }
        });
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var policy = new StorageRetryPolicy { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(100), NetworkTimeout = TimeSpan.FromSeconds(1) };
            var client = SmtpRelayClient.Create(ConnectionString(port), "mail", retry: policy);
            var clock = Stopwatch.StartNew();

            var failure = await Assert.ThrowsAsync<RelayStorageException>(() => client.EnqueueAsync(Mail));

            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
            Assert.Equal(RelayStorageFailureKind.Unreachable, failure.Kind);
            Assert.Equal(2, failure.Attempts);
            Assert.Equal(0, failure.Status);
            Assert.Equal("devstoreaccount1/mail", failure.Target);
            Assert.Equal($"http://127.0.0.1:{port}/devstoreaccount1/mail", failure.Endpoint);
            Assert.Contains("timed out", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, failure.Message, StringComparison.Ordinal);
            Assert.True(SmtpRelayClient.IsStorageFailure(failure, out var status, out _));
            Assert.Equal(0, status);
        }
        finally
        {
            listener.Stop();
            await accepting;
            accepted.ForEach(socket => socket.Dispose());
        }
    }

    [Fact]
    public void AMalformedConnectionStringIsRefusedWithoutRepeatingIt()
    {
        var failure = Assert.Throws<RelayStorageException>(() => SmtpRelayClient.Create("AccountName=relay;AccountKey=S3cretKeyValue", "mail"));

        Assert.Equal(RelayStorageFailureKind.InvalidConnectionString, failure.Kind);
        Assert.Equal("mail", failure.Target);
        Assert.DoesNotContain("S3cretKeyValue", failure.Message, StringComparison.Ordinal);
        Assert.False(SmtpRelayClient.IsStorageFailure(failure, out _, out _));
    }
}
