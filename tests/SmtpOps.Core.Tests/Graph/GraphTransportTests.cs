using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MimeKit;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>GraphTransport against the contract Endpoint: what arrives, throttling, refusals and tokens.</summary>
public sealed class GraphTransportTests() : GraphEndpointTest("transport")
{

    [Fact]
    public async Task ASmallMessageGoesAsItsMimeToSendMailAndParsesBackToTheSamePartsAndBytes()
    {
        var attachment = Path.Combine(Folder, "report.bin");
        var bytes = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        await File.WriteAllBytesAsync(attachment, bytes);
        var definition = new MailMessageDefinition
        {
            From = "Reports <reports@contoso.test>",
            To = ["alice@contoso.test"],
            Cc = ["bob@contoso.test"],
            Bcc = ["audit@contoso.test"],
            Subject = "Quarterly report ü",
            TextBody = "Plain text body",
            HtmlBody = "<p>HTML body</p>",
            Attachments = [new MailAttachment(attachment)],
        };

        using var transport = new GraphTransport(Options(GraphContractEndpoint.Token(TimeSpan.FromHours(1))));
        var result = await transport.SendAsync(definition);

        Assert.Empty(Endpoint.Violations);
        var sent = Assert.Single(Endpoint.Sent);
        Assert.Equal("sendMail", sent.Route);
        Assert.Equal("reports@contoso.test", sent.Mailbox);
        Assert.Equal(GraphSendRoute.SendMail, result.Route);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(new[] { "alice@contoso.test", "bob@contoso.test", "audit@contoso.test" }, result.Accepted.Select(r => r.Address));

        using var arrived = MimeMessage.Load(new MemoryStream(sent.Mime));
        Assert.Equal(result.MessageId, arrived.MessageId);
        Assert.Equal("Quarterly report ü", arrived.Subject);
        Assert.Equal("audit@contoso.test", Assert.Single(arrived.Bcc.Mailboxes).Address);
        Assert.Equal("Plain text body", arrived.TextBody?.TrimEnd());
        Assert.Equal("<p>HTML body</p>", arrived.HtmlBody?.TrimEnd());
        var part = Assert.IsType<MimePart>(Assert.Single(arrived.Attachments));
        Assert.Equal("report.bin", part.FileName);
        using var decoded = new MemoryStream();
        await part.Content!.DecodeToAsync(decoded);
        Assert.Equal(bytes, decoded.ToArray());
    }

    [Fact]
    public async Task ThrottledWithRetryAfterTwoItWaitsAtLeastTwoSecondsAndSucceeds()
    {
        Endpoint.Script(GraphFault.Throttle, times: 1, retryAfterSeconds: 2);
        using var transport = new GraphTransport(Options(GraphContractEndpoint.Token(TimeSpan.FromHours(1))));

        var result = await transport.SendAsync(SmallMessage());

        Assert.Equal(2, result.Attempts);
        Assert.Single(Endpoint.Sent);
        Assert.Empty(Endpoint.Violations);
        var requests = Endpoint.Requests.ToArray();
        Assert.Equal(new[] { 429, 202 }, requests.Select(r => r.Status));
        // The server's own clock: the retry arrived no sooner than Retry-After said.
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(1.95), $"retried after {(requests[1].ReceivedAt - requests[0].ReceivedAt).TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task ARetryAfterLongerThanTheTransportWaitsFailsAsThrottledAtOnce()
    {
        Endpoint.Script(GraphFault.Throttle, times: 1, retryAfterSeconds: 600);
        using var transport = new GraphTransport(Options(GraphContractEndpoint.Token(TimeSpan.FromHours(1))));

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(SmallMessage()));

        Assert.True(failure.IsThrottling);
        Assert.True(failure.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(600), failure.RetryAfter);
        Assert.Single(Endpoint.Requests);
        Assert.Empty(Endpoint.Sent);
    }

    [Fact]
    public async Task AccessDeniedIsPermanentAtOnceWithGraphsCodeAndWhatToGrant()
    {
        Endpoint.Script(GraphFault.AccessDenied);
        using var transport = new GraphTransport(Options(GraphContractEndpoint.Token(TimeSpan.FromHours(1))));

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(SmallMessage()));

        Assert.Equal(GraphFailureKind.Permanent, failure.Kind);
        Assert.False(failure.IsTransient);
        Assert.Equal(403, failure.StatusCode);
        Assert.Equal("ErrorAccessDenied", failure.ErrorCode);
        Assert.Contains("Mail.Send", failure.Guidance, StringComparison.Ordinal);
        Assert.Contains("RBAC for Applications", failure.Guidance, StringComparison.Ordinal);
        Assert.Contains("ErrorAccessDenied", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, failure.Attempts);
        Assert.Single(Endpoint.Requests);
        Assert.Empty(Endpoint.Sent);
    }

    [Fact]
    public async Task AFreshTokenIsReusedForEveryMessage()
    {
        var credential = new IssuingCredential(TimeSpan.FromHours(1));
        using var transport = new GraphTransport(new GraphTransportOptions { Mailbox = "reports@contoso.test", Endpoint = Endpoint.BaseUrl, Credential = credential });

        await transport.SendAsync(SmallMessage());
        await transport.SendAsync(SmallMessage());

        Assert.Equal(1, credential.Issued);
        Assert.Equal(new[] { "https://graph.microsoft.com/.default" }, credential.Scopes);
        Assert.Equal(2, Endpoint.Sent.Count);
    }

    [Fact]
    public async Task ATokenThatEnteredTheRefreshMarginIsRenewedBeforeTheNextRequest()
    {
        // Tokens that enter the five-minute refresh margin two seconds after they are issued.
        var credential = new IssuingCredential(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2));
        using var transport = new GraphTransport(new GraphTransportOptions { Mailbox = "reports@contoso.test", Endpoint = Endpoint.BaseUrl, Credential = credential });

        await transport.SendAsync(SmallMessage());
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await transport.SendAsync(SmallMessage());

        Assert.Equal(2, credential.Issued);
        Assert.Equal(2, transport.TokenAcquisitions);
        Assert.Equal(2, Endpoint.Requests.Select(r => r.BearerToken).Distinct().Count());
        Assert.Equal(2, Endpoint.Sent.Count);
        Assert.Empty(Endpoint.Violations);
    }

    [Fact]
    public async Task AnExpiredSuppliedTokenFailsAsAuthenticationWithoutARequest()
    {
        using var transport = new GraphTransport(Options(GraphContractEndpoint.Token(TimeSpan.FromMinutes(-5))));

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(SmallMessage()));

        Assert.Equal(GraphFailureKind.Authentication, failure.Kind);
        Assert.Contains("expired", failure.Message, StringComparison.Ordinal);
        Assert.Empty(Endpoint.Requests);
    }

    [Fact]
    public async Task ATokenForAnotherResourceIsRefusedWith401AndTheGuidanceNamesGraphsScope()
    {
        using var transport = new GraphTransport(Options(GraphContractEndpoint.Token(TimeSpan.FromHours(1), "https://storage.azure.com")));

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(SmallMessage()));

        Assert.Equal(GraphFailureKind.Authentication, failure.Kind);
        Assert.Equal(401, failure.StatusCode);
        Assert.Equal("InvalidAuthenticationToken", failure.ErrorCode);
        Assert.Contains("https://graph.microsoft.com/.default", failure.Guidance, StringComparison.Ordinal);
        Assert.Empty(Endpoint.Sent);
    }

    internal static MailMessageDefinition SmallMessage() => new()
    {
        From = "reports@contoso.test",
        To = ["alice@contoso.test"],
        Subject = "small",
        TextBody = "hello",
    };

    private GraphTransportOptions Options(string token) => new()
    {
        Mailbox = "reports@contoso.test",
        Endpoint = Endpoint.BaseUrl,
        AccessToken = token,
    };
}
