using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using SmtpOps.Acs;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers.Acs;
using Xunit;

namespace SmtpOps.Tests.Acs;

/// <summary>
/// AcsEmailTransport against the ACS contract endpoint: the message as ACS's JSON read back and compared field by field,
/// both identities (Entra token, access key with HMAC), the 202 then polling, a lost 202 retried under the same
/// Operation-Id and not sent twice, 429 with Retry-After, a Failed operation with its code, and what ACS cannot carry
/// refused before any request.
/// </summary>
public sealed class AcsEmailTransportTests : IAsyncLifetime
{
    private readonly string accessKey = AcsContractEndpoint.NewAccessKey();
    private readonly string folder = Directory.CreateTempSubdirectory("acs-transport-").FullName;
    private AcsContractEndpoint endpoint = null!;

    public Task InitializeAsync()
    {
        endpoint = AcsContractEndpoint.Start(accessKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await endpoint.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task TheComposedMessageArrivesFieldByFieldWithAnEntraTokenForCommunicationServices()
    {
        var logo = File(("logo.png", 2048));
        var report = File(("report.pdf", 300_000));
        var credential = new AcsScopedCredential();
        using var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, Credential = credential });

        var result = await transport.SendAsync(new MailMessageDefinition
        {
            From = "Reports <reports@contoso.test>",
            To = ["Ops Team <ops@fabrikam.test>", "audit@fabrikam.test"],
            Cc = ["Lead <lead@fabrikam.test>"],
            Bcc = ["archive@contoso.test"],
            ReplyTo = ["Help Desk <help@contoso.test>"],
            Subject = "Quarterly numbers – Q3",
            TextBody = "Numbers attached.",
            HtmlBody = "<p>Numbers attached. <img src=\"cid:logo\"></p>",
            Attachments = [new MailAttachment(report), new MailAttachment(logo, "logo")],
            Headers = new Dictionary<string, string> { ["X-Report-Run"] = "2026-12-07" },
            Priority = MessagePriority.High,
        });

        Assert.Empty(endpoint.Violations);
        var sent = Assert.Single(endpoint.Sent);
        Assert.Equal("entra", sent.Authentication);
        Assert.Equal(AcsEmailOptions.ApiVersion20250901, sent.ApiVersion);
        Assert.Equal(new[] { "https://communication.azure.com/.default" }, credential.Scopes);
        Assert.Equal("reports@contoso.test", sent.SenderAddress);
        Assert.Equal("Quarterly numbers – Q3", sent.Subject);
        Assert.Equal("Numbers attached.", sent.PlainText?.TrimEnd());
        Assert.Equal("<p>Numbers attached. <img src=\"cid:logo\"></p>", sent.Html?.TrimEnd());
        Assert.Equal(new[] { ("ops@fabrikam.test", (string?)"Ops Team"), ("audit@fabrikam.test", null) }, sent.To);
        Assert.Equal(new[] { ("lead@fabrikam.test", (string?)"Lead") }, sent.Cc);
        Assert.Equal(new[] { ("archive@contoso.test", (string?)null) }, sent.Bcc);
        Assert.Equal(new[] { ("help@contoso.test", (string?)"Help Desk") }, sent.ReplyTo);
        Assert.Equal("2026-12-07", sent.Headers["X-Report-Run"]);
        Assert.Equal("<" + result.MessageId + ">", sent.Headers["Message-ID"]);
        Assert.Equal("high", sent.Headers["Importance"], ignoreCase: true);
        Assert.Contains("High", sent.Headers["X-Priority"], StringComparison.Ordinal);
        Assert.DoesNotContain(sent.Headers.Keys, k => k is "From" or "To" or "Subject" or "Content-Type" or "MIME-Version");

        var pdf = Assert.Single(sent.Attachments, a => a.Name == "report.pdf");
        Assert.Equal("application/pdf", pdf.ContentType);
        Assert.Null(pdf.ContentId);
        Assert.Equal(await System.IO.File.ReadAllBytesAsync(report), pdf.Content);
        var inline = Assert.Single(sent.Attachments, a => a.ContentId is not null);
        Assert.Equal("logo", inline.ContentId);
        Assert.Equal("image/png", inline.ContentType);
        Assert.Equal(await System.IO.File.ReadAllBytesAsync(logo), inline.Content);

        Assert.True(result.Succeeded);
        Assert.Equal(sent.OperationId, result.OperationId);
        Assert.True(Guid.TryParse(result.OperationId, out _));
        Assert.Equal(4, result.Recipients.Count);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(new[] { ("POST", 202), ("GET", 200) }, endpoint.Requests.Select(r => (r.Method, r.Status)));
    }

    [Fact]
    public async Task TheAccessKeySignsEveryRequestAndAWrongKeyIsRefusedWithoutShowingIt()
    {
        using (var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = accessKey }))
        {
            var result = await transport.SendAsync(Mail("signed"));
            Assert.True(result.Succeeded);
        }

        Assert.Equal("hmac", Assert.Single(endpoint.Sent).Authentication);
        Assert.Empty(endpoint.Violations);

        var wrongKey = AcsContractEndpoint.NewAccessKey();
        using var wrong = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = wrongKey });
        var failure = await Assert.ThrowsAsync<AcsTransportException>(() => wrong.SendAsync(Mail("wrong key")));
        Assert.Equal(AcsFailureKind.Authentication, failure.Kind);
        Assert.Equal(401, failure.StatusCode);
        Assert.Contains("signature", failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(wrongKey, failure.ToString(), StringComparison.Ordinal);
        Assert.Single(endpoint.Sent);
    }

    [Fact]
    public async Task ATokenForAnotherAudienceIsRefusedOnceRenewedAndNothingIsSent()
    {
        var credential = new AcsScopedCredential("https://storage.azure.com");
        using var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, Credential = credential });

        var failure = await Assert.ThrowsAsync<AcsTransportException>(() => transport.SendAsync(Mail("wrong audience")));

        Assert.Equal(AcsFailureKind.Authentication, failure.Kind);
        Assert.Contains("https://communication.azure.com", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, credential.Issued);
        Assert.Empty(endpoint.Sent);
    }

    [Fact]
    public async Task ALost202IsSentAgainUnderTheSameOperationIdAndTheMessageGoesOutOnce()
    {
        endpoint.Script(AcsFault.LoseAcceptedAnswer);
        using var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = accessKey, Retry = new RetryPolicy { MaxRetries = 2, InitialDelay = TimeSpan.Zero } });

        var result = await transport.SendAsync(Mail("lost answer"));

        var sent = Assert.Single(endpoint.Sent);
        Assert.Equal(sent.OperationId, result.OperationId);
        var posts = endpoint.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, posts.Count);
        Assert.All(posts, p => Assert.Equal(result.OperationId, p.OperationId));
        Assert.Equal(2, result.Attempts);
        Assert.True(result.Succeeded);
        Assert.Empty(endpoint.Violations);
    }

    [Fact]
    public async Task A429IsWaitedOutForItsRetryAfterAndThenSent()
    {
        // The back-off alone would go again at once: only ACS's Retry-After makes it wait.
        endpoint.Script(AcsFault.Throttle, times: 1, retryAfterSeconds: 2);
        using var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = accessKey, Retry = new RetryPolicy { MaxRetries = 2, InitialDelay = TimeSpan.Zero } });

        var result = await transport.SendAsync(Mail("throttled"));

        Assert.Equal(2, result.Attempts);
        Assert.Single(endpoint.Sent);
        var posts = endpoint.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(new[] { 429, 202 }, posts.Select(p => p.Status));
        Assert.True(posts[1].ReceivedAt - posts[0].ReceivedAt >= TimeSpan.FromSeconds(1.95), "sent again before ACS's Retry-After");
    }

    [Fact]
    public async Task AFailedOperationIsAFailureWithItsCodeAndOperationId()
    {
        endpoint.Script(AcsFault.DropEmail);
        using var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = accessKey });

        var failure = await Assert.ThrowsAsync<AcsTransportException>(() => transport.SendAsync(Mail("dropped")));

        Assert.Equal(AcsFailureKind.OperationFailed, failure.Kind);
        Assert.Equal("EmailDropped", failure.ErrorCode);
        Assert.Equal("Failed", failure.OperationStatus);
        Assert.Equal(Assert.Single(endpoint.Sent).OperationId, failure.OperationId);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public async Task WhatAcsCannotCarryIsRefusedBeforeAnyRequest()
    {
        using var transport = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = accessKey });
        var tooMany = Mail("fifty-one") with { To = Enumerable.Range(1, 51).Select(i => $"user{i}@fabrikam.test").ToList() };
        var tooLarge = Mail("eight megabytes") with { Attachments = [new MailAttachment(File(("big.bin", 8 * 1024 * 1024)))] };

        var recipients = await Assert.ThrowsAsync<AcsTransportException>(() => transport.SendAsync(tooMany));
        var size = await Assert.ThrowsAsync<AcsTransportException>(() => transport.SendAsync(tooLarge));
        using var older = new AcsEmailTransport(new AcsEmailOptions { Endpoint = endpoint.BaseUrl, AccessKey = accessKey, ApiVersion = AcsEmailOptions.ApiVersion20230331 });
        var inline = await Assert.ThrowsAsync<AcsTransportException>(() => older.SendAsync(Mail("inline") with { HtmlBody = "<img src=\"cid:x\">", Attachments = [new MailAttachment(File(("x.png", 10)), "x")] }));

        Assert.Equal((AcsFailureKind.NotSupported, "TooManyRecipients"), (recipients.Kind, recipients.ErrorCode));
        Assert.Contains("51 recipients", recipients.Message, StringComparison.Ordinal);
        Assert.Equal((AcsFailureKind.NotSupported, "MessageTooLarge"), (size.Kind, size.ErrorCode));
        Assert.Equal((AcsFailureKind.NotSupported, "InlineAttachmentsNotSupported"), (inline.Kind, inline.ErrorCode));
        Assert.Empty(endpoint.Requests);

        // Just under the limit goes: 50 recipients.
        var fifty = await transport.SendAsync(Mail("fifty") with { To = Enumerable.Range(1, 50).Select(i => $"user{i}@fabrikam.test").ToList() });
        Assert.Equal(50, fifty.Recipients.Count);
        Assert.Empty(endpoint.Violations);
    }

    private static MailMessageDefinition Mail(string subject) => new()
    {
        From = "reports@contoso.test",
        To = ["ops@fabrikam.test"],
        Subject = subject,
        TextBody = "body",
    };

    private string File((string Name, int Size) file)
    {
        var path = Path.Combine(folder, file.Name);
        System.IO.File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(file.Size));
        return path;
    }
}
