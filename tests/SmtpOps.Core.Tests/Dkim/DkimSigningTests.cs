using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using SmtpOps.Dkim;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Tests.TestSmtpConnection;

namespace SmtpOps.Tests.Dkim;

/// <summary>
/// Messages signed by DkimMessageSigner, sent through SmtpSubmitter to a recording SMTP server, and verified as received
/// by dkimpy (Debian's python3-dkim) with the keys published in the test DNS server.
/// </summary>
public sealed class DkimSigningTests : IClassFixture<DkimFixture>
{
    private readonly DkimFixture keys;

    public DkimSigningTests(DkimFixture keys) => this.keys = keys;

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256)]
    [InlineData(DkimAlgorithm.Ed25519Sha256)]
    public async Task PlainMessageVerifies(DkimAlgorithm algorithm)
    {
        var (result, received) = await SignAndSendAsync(algorithm, new MailMessageDefinition
        {
            From = "Reports <reports@contoso.test>",
            To = new[] { "ops@fabrikam.test" },
            Subject = "Daily report",
            TextBody = "All systems nominal.\n\n\n",
        });

        await AssertVerifiesAsync(received);
        Assert.NotNull(result.Dkim);
        Assert.Equal(DkimFixture.Domain, result.Dkim!.Domain);
        Assert.Equal(keys.Selector(algorithm), result.Dkim.Selector);
        Assert.Equal(algorithm == DkimAlgorithm.RsaSha256 ? "rsa-sha256" : "ed25519-sha256", result.Dkim.Algorithm);
        Assert.Equal("relaxed/relaxed", result.Dkim.Canonicalization);
        // From oversigned; no body length limit.
        Assert.Equal(2, result.Dkim.SignedHeaders.Count(h => h.Equals("from", StringComparison.OrdinalIgnoreCase)));
        var signature = HeaderOf(received, "DKIM-Signature");
        Assert.DoesNotContain("l=", signature.Split(';').Select(t => t.Trim()).Where(t => t.Length > 1).Select(t => t[..2]));
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256)]
    [InlineData(DkimAlgorithm.Ed25519Sha256)]
    public async Task HtmlWithInlineImagesVerifies(DkimAlgorithm algorithm)
    {
        var image = WriteFile("logo.png", 40_000);
        try
        {
            var (_, received) = await SignAndSendAsync(algorithm, new MailMessageDefinition
            {
                From = "reports@contoso.test",
                To = new[] { "ops@fabrikam.test" },
                Subject = "Report with a chart",
                TextBody = "See the chart.",
                HtmlBody = "<html><body><p>Chart:</p><img src=\"cid:logo\"><img src=\"cid:chart\"></body></html>",
                Attachments = new[] { new MailAttachment(image, "logo"), new MailAttachment(image, "chart") },
            });

            Assert.Contains("multipart/related", Encoding.ASCII.GetString(received.Data));
            await AssertVerifiesAsync(received);
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256)]
    [InlineData(DkimAlgorithm.Ed25519Sha256)]
    public async Task TenMegabyteAttachmentVerifies(DkimAlgorithm algorithm)
    {
        var file = WriteFile("export.bin", 10 * 1024 * 1024);
        try
        {
            var (_, received) = await SignAndSendAsync(algorithm, new MailMessageDefinition
            {
                From = "reports@contoso.test",
                To = new[] { "ops@fabrikam.test" },
                Subject = "Export",
                TextBody = "The export is attached.",
                Attachments = new[] { new MailAttachment(file) },
            });

            Assert.True(received.Data.Length > 10 * 1024 * 1024);
            await AssertVerifiesAsync(received);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256)]
    [InlineData(DkimAlgorithm.Ed25519Sha256)]
    public async Task NonAsciiHeadersAndBodyVerify(DkimAlgorithm algorithm)
    {
        var (_, received) = await SignAndSendAsync(algorithm, new MailMessageDefinition
        {
            From = "Jürgen Müller <reports@contoso.test>",
            To = new[] { "Zoë Ångström <ops@fabrikam.test>" },
            Subject = "Überweisungen – 月次レポート – a long subject that has to be folded over more than one line when encoded",
            TextBody = "Grüße aus Köln, 東京からこんにちは.\nA line that is long enough to be wrapped by quoted-printable encoding when the message is prepared for a 7-bit server.",
            Headers = new System.Collections.Generic.Dictionary<string, string> { ["X-Report-Owner"] = "Björn" },
        });

        // Sent as 7-bit: the signature was made over exactly what went out.
        Assert.True(received.Data.All(b => b < 0x80));
        await AssertVerifiesAsync(received);
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, "All systems nominal.", "All systems n0minal.")]
    [InlineData(DkimAlgorithm.Ed25519Sha256, "All systems nominal.", "All systems n0minal.")]
    [InlineData(DkimAlgorithm.RsaSha256, "Subject: Daily report", "Subject: Daily rep0rt")]
    [InlineData(DkimAlgorithm.RsaSha256, "To: ops@fabrikam.test", "To: ops@fabrikam.test\r\nCc: eve@evil.test")]
    public async Task MessageAlteredInTransitIsRejected(DkimAlgorithm algorithm, string original, string altered)
    {
        var (_, received) = await SignAndSendAsync(algorithm, new MailMessageDefinition
        {
            From = "reports@contoso.test",
            To = new[] { "ops@fabrikam.test" },
            Subject = "Daily report",
            TextBody = "All systems nominal.",
        });
        await AssertVerifiesAsync(received);

        var text = Encoding.ASCII.GetString(received.Data);
        Assert.Contains(original, text);
        var tampered = Encoding.ASCII.GetBytes(text.Replace(original, altered, StringComparison.Ordinal));

        var verdict = await DkimPyVerifier.VerifyAsync(tampered, keys.Dns.EndPoint);
        Assert.False(verdict.Passed, verdict.Output);
    }

    [Fact]
    public async Task SignatureWithAnUnpublishedKeyIsRejected()
    {
        var signer = new DkimMessageSigner(DkimFixture.Domain, DkimFixture.RsaSelector, keys.Stranger);
        var (_, received) = await SignAndSendAsync(signer, new MailMessageDefinition { From = "reports@contoso.test", To = new[] { "ops@fabrikam.test" }, TextBody = "x" });

        Assert.False((await DkimPyVerifier.VerifyAsync(received.Data, keys.Dns.EndPoint)).Passed);
    }

    [Theory]
    [InlineData("reports@mail.contoso.test")]
    [InlineData("reports@contoso.test")]
    public async Task SubdomainOfTheSigningDomainIsAligned(string from)
    {
        var (result, received) = await SignAndSendAsync(DkimAlgorithm.RsaSha256, new MailMessageDefinition { From = from, To = new[] { "ops@fabrikam.test" }, TextBody = "x" });

        Assert.Equal(DkimFixture.Domain, result.Dkim!.Domain);
        await AssertVerifiesAsync(received);
    }

    [Theory]
    [InlineData("reports@fabrikam.test")]
    [InlineData("reports@notcontoso.test")]
    [InlineData("reports@contoso.test.evil.test")]
    public void UnalignedFromIsRefusedAndTheMessageStaysUnsigned(string from)
    {
        using var message = MessageComposer.Prepare(new MailMessageDefinition { From = from, To = new[] { "ops@fabrikam.test" }, TextBody = "x" });

        var ex = Assert.Throws<DkimException>(() => keys.Signer(DkimAlgorithm.RsaSha256).Sign(message));

        Assert.Equal(DkimError.Unaligned, ex.Error);
        Assert.Contains("not aligned", ex.Message, StringComparison.Ordinal);
        Assert.Contains(from.Split('@')[1], ex.Message, StringComparison.Ordinal);
        Assert.Null(message.Message.Headers[MimeKit.HeaderId.DkimSignature]);
    }

    [Theory]
    [InlineData("contoso.test", "contoso.test", true)]
    [InlineData("mail.contoso.test", "contoso.test", true)]
    [InlineData("contoso.test", "mail.contoso.test", true)]
    [InlineData("CONTOSO.test.", "contoso.TEST", true)]
    [InlineData("bücher.test", "xn--bcher-kva.test", true)]
    [InlineData("fabrikam.test", "contoso.test", false)]
    [InlineData("xcontoso.test", "contoso.test", false)]
    [InlineData("contoso.test.fabrikam.test", "contoso.test", false)]
    public void AlignmentIsDmarcRelaxed(string fromDomain, string signingDomain, bool aligned)
        => Assert.Equal(aligned, DkimMessageSigner.IsAligned(fromDomain, signingDomain));

    [Fact]
    public async Task KeyFromAPemFileWrittenByOpenSslSigns()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dkim-{Guid.NewGuid():N}.pem");
        try
        {
            // PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form opendkim-genkey and older openssl write.
            var pem = Pkcs1Pem(keys.Rsa);
            await File.WriteAllTextAsync(path, pem);
            var key = DkimKey.FromPemFile(path);

            var (_, received) = await SignAndSendAsync(new DkimMessageSigner(DkimFixture.Domain, DkimFixture.RsaSelector, key), new MailMessageDefinition { From = "reports@contoso.test", To = new[] { "ops@fabrikam.test" }, TextBody = "x" });

            Assert.Contains("BEGIN RSA PRIVATE KEY", pem, StringComparison.Ordinal);
            await AssertVerifiesAsync(received);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task KeyOfACertificateSigns()
    {
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(keys.Rsa.ExportPrivateKeyPem());
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=contoso.test DKIM", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        var key = DkimKey.FromCertificate(certificate);
        var (_, received) = await SignAndSendAsync(new DkimMessageSigner(DkimFixture.Domain, DkimFixture.RsaSelector, key), new MailMessageDefinition { From = "reports@contoso.test", To = new[] { "ops@fabrikam.test" }, TextBody = "x" });

        await AssertVerifiesAsync(received);
    }

    private async Task<(SmtpSendResult Result, ReceivedMessage Received)> SignAndSendAsync(DkimAlgorithm algorithm, MailMessageDefinition definition)
        => await SignAndSendAsync(keys.Signer(algorithm), definition);

    private static async Task<(SmtpSendResult Result, ReceivedMessage Received)> SignAndSendAsync(DkimMessageSigner signer, MailMessageDefinition definition)
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));
        using var message = MessageComposer.Prepare(definition);
        signer.Sign(message);

        var result = await submitter.SendAsync(message);
        await submitter.DisconnectAsync();

        return (result, Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))));
    }

    private async Task AssertVerifiesAsync(ReceivedMessage received)
    {
        var verdict = await DkimPyVerifier.VerifyAsync(received.Data, keys.Dns.EndPoint);
        Assert.True(verdict.Passed, verdict.Output);
    }

    private static string HeaderOf(ReceivedMessage received, string name)
    {
        using var stream = new MemoryStream(received.Data);
        return MimeKit.MimeMessage.Load(stream).Headers[name] ?? string.Empty;
    }

    private static string WriteFile(string name, int size)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}-{name}");
        var bytes = new byte[size];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Pkcs1Pem(DkimKey key)
    {
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(key.ExportPrivateKeyPem());
        return rsa.ExportRSAPrivateKeyPem();
    }
}
