using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Smime;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;
using static SmtpOps.Tests.TestSmtpConnection;

namespace SmtpOps.Tests.Smime;

/// <summary>
/// S/MIME applied by SmimeProtector, sent by SmtpSubmitter to a recording server, and judged by openssl: what arrived
/// verifies against the root CA alone (so the intermediate travelled in the signature) and decrypts to the original.
/// </summary>
public sealed class SmimeSubmissionTests : IClassFixture<SmimeCertificatesFixture>
{
    private const string Body = "All systems nominal. Ünïcödé too.";
    private readonly SmimeCertificatesFixture certificates;

    public SmimeSubmissionTests(SmimeCertificatesFixture certificates) => this.certificates = certificates;

    [Theory]
    [InlineData(SmimeSignatureFormat.Detached, false)]
    [InlineData(SmimeSignatureFormat.Opaque, false)]
    [InlineData(SmimeSignatureFormat.Detached, true)]
    [InlineData(SmimeSignatureFormat.Opaque, true)]
    public async Task SignedMessageVerifiesWithOpenSslAgainstTheRootAlone(SmimeSignatureFormat format, bool ecdsa)
    {
        var signer = ecdsa ? certificates.EcdsaSigner : certificates.RsaSigner;
        var options = new SmimeOptions { Signer = SmimeSigner.FromCertificate(signer, new[] { certificates.Intermediate }), SignatureFormat = format };

        var (result, received) = await SendAsync(Definition(), options);

        Assert.Equal(signer.Thumbprint, result.Smime!.SignerThumbprint);
        Assert.Equal(format, result.Smime.SignatureFormat);
        Assert.Equal(2, result.Smime.ChainLength);
        Assert.Empty(result.Smime.EncryptedFor);
        var text = Encoding.ASCII.GetString(received);
        Assert.Contains(format == SmimeSignatureFormat.Detached ? "multipart/signed" : "smime-type=signed-data", text, StringComparison.OrdinalIgnoreCase);
        var (exitCode, content, error) = await VerifyAsync(received);
        Assert.True(exitCode == 0, error);
        Assert.Contains("Verification successful", error);
        Assert.Equal(Body, TextOf(content));
    }

    [Fact]
    public async Task SignedMessageAlteredInTransitFailsOpenSslVerification()
    {
        var options = new SmimeOptions { Signer = SmimeSigner.FromCertificate(certificates.RsaSigner, new[] { certificates.Intermediate }) };
        var (_, received) = await SendAsync(Definition(), options);
        var text = Encoding.ASCII.GetString(received);
        // The text part is Base64 (UTF-8 body, 7-bit transport): one character of its first encoded line changes.
        const string Encoded = "Content-Transfer-Encoding: base64\r\n\r\n";
        var start = text.IndexOf(Encoded, StringComparison.OrdinalIgnoreCase) + Encoded.Length;
        var line = text[start..text.IndexOf("\r\n", start, StringComparison.Ordinal)];
        Assert.Equal(Body, Encoding.UTF8.GetString(Convert.FromBase64String(line)));
        var altered = line[..^2] + (line[^2] == 'A' ? 'B' : 'A') + line[^1];

        var (exitCode, _, error) = await VerifyAsync(Encoding.ASCII.GetBytes(text.Replace(line, altered, StringComparison.Ordinal)));

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("Verification successful", error);
    }

    [Fact]
    public async Task SignatureWithoutTheIntermediateDoesNotVerifyAgainstTheRootAlone()
    {
        // The counterpart of the tests above: without the intermediate in the signature openssl cannot reach the root,
        // so their success shows that the chain travelled with the message.
        var options = new SmimeOptions { Signer = SmimeSigner.FromCertificate(certificates.RsaSigner) };
        var (result, received) = await SendAsync(Definition(), options);

        Assert.Equal(1, result.Smime!.ChainLength);
        var (exitCode, _, error) = await VerifyAsync(received);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("unable to get local issuer certificate", error);
    }

    [Fact]
    public async Task EncryptedMessageDecryptsWithOpenSslForEveryRecipientWithAes256Cbc()
    {
        var definition = Definition() with { Cc = new[] { SmimeCertificatesFixture.Audit } };
        var options = new SmimeOptions { EncryptTo = RecipientSet() };

        var (result, received) = await SendAsync(definition, options);

        Assert.False(result.Smime!.Signed);
        Assert.Equal(new[] { SmimeCertificatesFixture.Ops, SmimeCertificatesFixture.Audit }, result.Smime.EncryptedFor);
        Assert.DoesNotContain("nominal", Encoding.ASCII.GetString(received));
        foreach (var name in new[] { "ops", "audit" })
        {
            var (exitCode, content, error) = await DecryptAsync(received, name);
            Assert.True(exitCode == 0, error);
            Assert.Equal(Body, TextOf(content));
        }

        var path = WriteTemporary(received);
        var (_, structure, _) = await OpenSslTool.RunAsync("cms", "-cmsout", "-print", "-in", path);
        File.Delete(path);
        Assert.Contains("aes-256-cbc", structure);
    }

    [Fact]
    public async Task SignedThenEncryptedMessageDecryptsThenVerifiesWithOpenSsl()
    {
        var options = new SmimeOptions { Signer = SmimeSigner.FromCertificate(certificates.EcdsaSigner, new[] { certificates.Intermediate }), EncryptTo = RecipientSet() };

        var (result, received) = await SendAsync(Definition(), options);

        Assert.True(result.Smime!.Signed && result.Smime.Encrypted);
        var (decrypted, inner, decryptError) = await DecryptAsync(received, "ops");
        Assert.True(decrypted == 0, decryptError);
        Assert.Contains("multipart/signed", inner, StringComparison.OrdinalIgnoreCase);
        var (verified, content, verifyError) = await VerifyAsync(Encoding.UTF8.GetBytes(inner));
        Assert.True(verified == 0, verifyError);
        Assert.Equal(Body, TextOf(content));
    }

    [Fact]
    public void RecipientWithoutCertificateIsNamedAndTheMessageStaysAsComposed()
    {
        var definition = Definition() with { Cc = new[] { "nobody@contoso.test", SmimeCertificatesFixture.Audit }, Bcc = new[] { "hidden@contoso.test" } };
        using var message = MessageComposer.Prepare(definition);
        var set = RecipientCertificateSet.FromCertificates(new[] { SmimeCertificatesFixture.PublicOnly(certificates.OpsCertificate) });

        var ex = Assert.Throws<SmimeException>(() => SmimeProtector.Apply(message, new SmimeOptions { EncryptTo = set }));

        Assert.Equal(SmimeFailureKind.MissingRecipientCertificate, ex.Kind);
        Assert.Equal(new[] { "nobody@contoso.test", SmimeCertificatesFixture.Audit, "hidden@contoso.test" }, ex.Targets);
        Assert.Null(message.Smime);
    }

    [Fact]
    public void SenderTheSigningCertificateIsNotIssuedToIsRefused()
    {
        using var message = MessageComposer.Prepare(Definition() with { From = "someone-else@contoso.test" });

        var ex = Assert.Throws<SmimeException>(() => SmimeProtector.Apply(message, new SmimeOptions { Signer = SmimeSigner.FromCertificate(certificates.RsaSigner) }));

        Assert.Equal(SmimeFailureKind.SenderNotInCertificate, ex.Kind);
        Assert.Contains(SmimeCertificatesFixture.Sender, ex.Message);
        Assert.Equal(new[] { "someone-else@contoso.test" }, ex.Targets);
    }

    [Fact]
    public void CertificateWithoutPrivateKeyCannotSign()
    {
        var ex = Assert.Throws<SmimeException>(() => SmimeSigner.FromCertificate(SmimeCertificatesFixture.PublicOnly(certificates.RsaSigner)));

        Assert.Equal(SmimeFailureKind.SigningKeyUnusable, ex.Kind);
    }

    [Fact]
    public async Task PfxFileSignsWithTheChainItCarriesAndAWrongPasswordIsNotQuoted()
    {
        const string Password = "Pfx-Passw0rd-Never-Shown";
        var collection = new X509Certificate2Collection { certificates.RsaSigner, certificates.Intermediate };
        var pfx = Path.Combine(certificates.Folder, "signer.pfx");
        File.WriteAllBytes(pfx, collection.Export(X509ContentType.Pkcs12, Password)!);

        var wrong = Assert.Throws<SmimeException>(() => SmimeSigner.FromPkcs12File(pfx, "not-" + Password));
        Assert.Equal(SmimeFailureKind.CertificateFileUnreadable, wrong.Kind);
        Assert.DoesNotContain(Password, wrong.ToString());

        var signer = SmimeSigner.FromPkcs12File(pfx, Password);
        Assert.Equal(certificates.RsaSigner.Thumbprint, signer.Certificate.Thumbprint);
        var (result, received) = await SendAsync(Definition(), new SmimeOptions { Signer = signer });
        Assert.Equal(2, result.Smime!.ChainLength);
        var (exitCode, _, error) = await VerifyAsync(received);
        Assert.True(exitCode == 0, error);
    }

    [Fact]
    public void FolderFindsCertificatesByTheirAddressAndByFileName()
    {
        var folder = Directory.CreateTempSubdirectory("smtpops-recipients-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "ops.pem"), certificates.OpsCertificate.ExportCertificatePem());
            File.WriteAllBytes(Path.Combine(folder, "alias@contoso.test.cer"), certificates.AuditCertificate.RawData);
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a certificate");

            var set = RecipientCertificateSet.FromFolder(folder);

            Assert.Equal(certificates.OpsCertificate.Thumbprint, set.Find("OPS@contoso.test")?.Thumbprint);
            Assert.Equal(certificates.AuditCertificate.Thumbprint, set.Find("alias@contoso.test")?.Thumbprint);
            Assert.Equal(certificates.AuditCertificate.Thumbprint, set.Find(SmimeCertificatesFixture.Audit)?.Thumbprint);
            Assert.Null(set.Find("nobody@contoso.test"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The text of the first text part of a MIME entity as openssl wrote it out.
    private static string TextOf(string entity)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(entity));
        using var parsed = MimeKit.MimeEntity.Load(stream);
        var part = parsed is MimeKit.TextPart text ? text : parsed is MimeKit.Multipart multipart ? multipart.OfType<MimeKit.TextPart>().First() : null;
        return part?.Text ?? string.Empty;
    }

    private static MailMessageDefinition Definition() => new()
    {
        From = "Reports <" + SmimeCertificatesFixture.Sender + ">",
        To = new[] { SmimeCertificatesFixture.Ops },
        Subject = "Signed report",
        TextBody = Body,
    };

    private RecipientCertificateSet RecipientSet() => RecipientCertificateSet.FromCertificates(new[]
    {
        SmimeCertificatesFixture.PublicOnly(certificates.OpsCertificate),
        SmimeCertificatesFixture.PublicOnly(certificates.AuditCertificate),
    });

    private static async Task<(SmtpSendResult Result, byte[] Received)> SendAsync(MailMessageDefinition definition, SmimeOptions options)
    {
        await using var server = await TestSmtpServer.StartAsync(new());
        using var submitter = new SmtpSubmitter(Options(server, SmtpSecurity.None));
        using var message = MessageComposer.Prepare(definition);
        SmimeProtector.Apply(message, options);
        var result = await submitter.SendAsync(message);
        await submitter.DisconnectAsync();
        var received = Assert.Single(await server.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        return (result, received.Data);
    }

    private async Task<(int ExitCode, string Content, string Error)> VerifyAsync(byte[] message)
    {
        var path = WriteTemporary(message);
        try
        {
            return await OpenSslTool.RunAsync("smime", "-verify", "-in", path, "-CAfile", certificates.RootFile);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task<(int ExitCode, string Content, string Error)> DecryptAsync(byte[] message, string recipient)
    {
        var path = WriteTemporary(message);
        var (certificate, key) = certificates.RecipientFiles(recipient);
        try
        {
            return await OpenSslTool.RunAsync("smime", "-decrypt", "-in", path, "-recip", certificate, "-inkey", key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private string WriteTemporary(byte[] content)
    {
        var path = Path.Combine(certificates.Folder, Guid.NewGuid().ToString("N") + ".eml");
        File.WriteAllBytes(path, content);
        return path;
    }
}
