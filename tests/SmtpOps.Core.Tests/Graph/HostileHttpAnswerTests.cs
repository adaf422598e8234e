using System;
using System.Threading.Tasks;
using SmtpOps.Acs;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using SmtpOps.TestServers.Acs;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>
/// An endpoint posing as Graph or ACS that answers with an endless body (256 MiB, chunked): the transport fails the
/// request instead of buffering it, and this process's peak resident set grows by far less than the body. Runs alone
/// (the memory collection), so no other test's allocations count.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class HostileHttpAnswerTests
{
    private const long Limit = 64L * 1024 * 1024;

    [Theory]
    [InlineData("acs")]
    [InlineData("graph")]
    public async Task AnEndlessAnswerBodyFailsTheSendWithoutBeingHeldInMemory(string service)
    {
        await using var hostile = LoopbackHttpListener.Start(async context =>
        {
            context.Response.StatusCode = 202;
            context.Response.SendChunked = true;
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            for (var i = 0; i < 4096; i++)
            {
                await context.Response.OutputStream.WriteAsync(chunk);
            }

            context.Response.Close();
        });
        var endpoint = new Uri($"http://127.0.0.1:{hostile.Port}/");
        var message = new MailMessageDefinition { From = "reports@contoso.test", To = ["ops@fabrikam.test"], Subject = "s", TextBody = "b" };
        GC.Collect();
        var baseline = PeakResidentSet.Reset();

        if (service == "acs")
        {
            using var acs = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint, AccessKey = AcsContractEndpoint.NewAccessKey(), Retry = RetryPolicy.None });
            await Assert.ThrowsAsync<AcsTransportException>(() => acs.SendAsync(message));
        }
        else
        {
            using var graph = new GraphTransport(new GraphTransportOptions { Mailbox = "reports@contoso.test", Endpoint = endpoint, AccessToken = GraphContractEndpoint.Token(TimeSpan.FromHours(1)), Retry = RetryPolicy.None });
            await Assert.ThrowsAsync<GraphTransportException>(() => graph.SendAsync(message));
        }

        var growth = PeakResidentSet.GrowthSince(baseline);
        Assert.True(growth < Limit, $"the peak resident set grew by {growth / 1024 / 1024} MiB reading a 256 MiB answer");
    }
}
