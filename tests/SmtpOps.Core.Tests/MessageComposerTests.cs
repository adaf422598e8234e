using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MimeKit;
using SmtpOps.Messages;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>What MessageComposer builds, and what it refuses before anything is sent.</summary>
public sealed class MessageComposerTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("smtpops-compose-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static MailMessageDefinition Basic => new()
    {
        From = "Reports <reports@contoso.test>",
        To = new[] { "ops@contoso.test" },
        Subject = "Daily report",
        TextBody = "Plain",
    };

    private string File(string name, byte[] content)
    {
        var path = Path.Combine(folder, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    private static MimeMessage RoundTrip(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        buffer.Position = 0;
        return MimeMessage.Load(buffer);
    }

    [Fact]
    public void ReportWithTextHtmlInlineImageAndAttachmentHasTheExpectedStructure()
    {
        var csv = Encoding.UTF8.GetBytes("host,status\nweb01,ok\n");
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4 };
        var definition = new MailMessageDefinition
        {
            From = "Reports <reports@contoso.test>",
            To = new[] { "ops@contoso.test" },
            Subject = "Rapport quotidien – ✓",
            TextBody = "Plain summary",
            HtmlBody = "<p>Summary</p><img src=\"cid:logo\">",
            Attachments = new[] { new MailAttachment(File("report.csv", csv)), new MailAttachment(File("logo.png", png), "logo") },
        };

        using var composed = MessageComposer.Compose(definition);
        using var parsed = RoundTrip(composed);

        var mixed = Assert.IsType<Multipart>(parsed.Body);
        Assert.Equal("mixed", mixed.ContentType.MediaSubtype);
        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        Assert.Equal("Plain summary", Assert.IsType<TextPart>(alternative[0]).Text);
        var related = Assert.IsType<MultipartRelated>(alternative[1]);
        Assert.Contains("cid:logo", Assert.IsType<TextPart>(related.Root).Text);
        var image = Assert.IsType<MimePart>(related[1]);
        Assert.Equal("logo", image.ContentId);
        Assert.Equal("image/png", image.ContentType.MimeType);
        var attachment = Assert.IsAssignableFrom<MimePart>(mixed[1]);
        Assert.Equal("report.csv", attachment.FileName);
        Assert.True(attachment.IsAttachment);
        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        Assert.Equal(csv, content.ToArray());
        Assert.Equal("Rapport quotidien – ✓", parsed.Subject);
        Assert.EndsWith("@contoso.test", parsed.MessageId);
    }

    [Fact]
    public void HtmlOnlyIsASingleHtmlPart()
    {
        using var composed = MessageComposer.Compose(new MailMessageDefinition { From = "a@contoso.test", To = new[] { "b@contoso.test" }, HtmlBody = "<b>x</b>" });

        var part = Assert.IsType<TextPart>(composed.Body);
        Assert.True(part.IsHtml);
    }

    [Fact]
    public void AddressListsReplyToPriorityAndCustomHeadersAreWritten()
    {
        var definition = new MailMessageDefinition
        {
            From = "a@contoso.test",
            To = new[] { "b@contoso.test, c@contoso.test" },
            Bcc = new[] { "secret@contoso.test" },
            ReplyTo = new[] { "help@contoso.test" },
            Priority = SmtpOps.Messages.MessagePriority.High,
            Headers = new Dictionary<string, string> { ["X-Report-Id"] = "42" },
        };

        using var composed = MessageComposer.Compose(definition);
        using var parsed = RoundTrip(composed);

        Assert.Equal(new[] { "b@contoso.test", "c@contoso.test" }, parsed.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("help@contoso.test", parsed.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal(MimeKit.MessagePriority.Urgent, parsed.Priority);
        Assert.Equal(XMessagePriority.High, parsed.XPriority);
        Assert.Equal("42", parsed.Headers["X-Report-Id"]);
        Assert.Equal("secret@contoso.test", composed.Bcc.Mailboxes.Single().Address);
    }

    [Theory]
    [InlineData("Report\r\nBcc: victim@evil.test")]
    [InlineData("Report\nX-Injected: 1")]
    [InlineData("Report\r")]
    public void LineBreaksInTheSubjectAreRefused(string subject)
    {
        var error = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition
        {
            From = Basic.From,
            To = Basic.To,
            Subject = subject,
        }));

        Assert.Equal(MessageValidationError.HeaderInjection, error.Error);
        Assert.Equal(subject, error.Target);
    }

    [Fact]
    public void LineBreaksInHeaderValuesAndAddressesAreRefused()
    {
        var header = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition
        {
            From = Basic.From,
            To = Basic.To,
            Headers = new Dictionary<string, string> { ["X-Tag"] = "a\r\nBcc: x@evil.test" },
        }));
        var address = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition
        {
            From = Basic.From,
            To = new[] { "ops@contoso.test\r\nBcc: x@evil.test" },
        }));

        Assert.Equal(MessageValidationError.HeaderInjection, header.Error);
        Assert.Equal(MessageValidationError.HeaderInjection, address.Error);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("ops@")]
    [InlineData("@contoso.test")]
    [InlineData("Team: a@contoso.test;")]
    public void InvalidAddressesAreRefused(string to)
    {
        var error = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition { From = Basic.From, To = new[] { to } }));

        Assert.Equal(MessageValidationError.InvalidAddress, error.Error);
        Assert.Equal(to, error.Target);
    }

    [Fact]
    public void MissingSenderRecipientAndFilesAreRefused()
    {
        Assert.Equal(MessageValidationError.MissingSender, Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition { To = Basic.To })).Error);
        Assert.Equal(MessageValidationError.MissingRecipient, Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition { From = Basic.From })).Error);

        var missing = Path.Combine(folder, "missing.csv");
        var error = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition { From = Basic.From, To = Basic.To, Attachments = new[] { new MailAttachment(missing) } }));
        Assert.Equal(MessageValidationError.AttachmentNotFound, error.Error);
        Assert.Equal(missing, error.Target);
    }

    [Theory]
    [InlineData("Subject")]
    [InlineData("bcc")]
    [InlineData("X Bad")]
    [InlineData("X:Bad")]
    [InlineData("Resent-To")]
    [InlineData("resent-bcc")]
    [InlineData("Resent-Sender")]
    [InlineData("Return-Path")]
    [InlineData("RECEIVED")]
    [InlineData("Authentication-Results")]
    [InlineData("ARC-Seal")]
    [InlineData("arc-message-signature")]
    [InlineData("DKIM-Signature")]
    public void ReservedOrMalformedHeaderNamesAreRefused(string name)
    {
        var error = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition
        {
            From = Basic.From,
            To = Basic.To,
            Headers = new Dictionary<string, string> { [name] = "v" },
        }));

        Assert.Equal(MessageValidationError.InvalidHeader, error.Error);
        Assert.Equal(name, error.Target);
    }

    [Fact]
    public void ReservedHeadersSayWhyTheyAreReserved()
    {
        MessageValidationException Refused(string name) => Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(Basic with { Headers = new Dictionary<string, string> { [name] = "x@evil.test" } }));

        Assert.Contains("set from its own parameter", Refused("Bcc").Message, StringComparison.Ordinal);
        Assert.Contains("redirect the SMTP envelope", Refused("Resent-To").Message, StringComparison.Ordinal);
        Assert.Contains("written by the servers and signers", Refused("Received").Message, StringComparison.Ordinal);
        Assert.Contains("written by the servers and signers", Refused("ARC-Seal").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-Received-By")]
    [InlineData("X-Resent-To")]
    [InlineData("Original-Return-Path")]
    [InlineData("X-ARC-Note")]
    [InlineData("Resent")]
    public void NamesThatOnlyContainAReservedNameAreAllowed(string name)
    {
        using var composed = MessageComposer.Compose(Basic with { Headers = new Dictionary<string, string> { [name] = "v" } });

        Assert.Equal("v", composed.Headers[name]);
    }

    // Each of these made MimeKit throw from Compose (ParseException, ArgumentException) or wrote what a reader
    // cannot read back; each must be a validation error before any attachment is opened.
    [Theory]
    [InlineData("contentType", "text/plain\r\nX: y", MessageValidationError.HeaderInjection)]
    [InlineData("contentType", "text/plain\0", MessageValidationError.HeaderInjection)]
    [InlineData("contentType", "text/plain; charset=\"", MessageValidationError.InvalidContentType)]
    [InlineData("contentType", "text", MessageValidationError.InvalidContentType)]
    [InlineData("contentType", "tëxt/plain", MessageValidationError.InvalidContentType)]
    [InlineData("contentType", "multipart/mixed", MessageValidationError.InvalidContentType)]
    [InlineData("fileName", "report.csv\r\nContent-Type: text/html", MessageValidationError.HeaderInjection)]
    [InlineData("fileName", "report\n.csv", MessageValidationError.HeaderInjection)]
    [InlineData("contentId", "\"", MessageValidationError.InvalidContentId)]
    [InlineData("contentId", "a@[", MessageValidationError.InvalidContentId)]
    [InlineData("contentId", "(x)", MessageValidationError.InvalidContentId)]
    [InlineData("messageId", "a@[", MessageValidationError.InvalidHeader)]
    [InlineData("messageId", "a@", MessageValidationError.InvalidHeader)]
    [InlineData("messageId", "a@b)", MessageValidationError.InvalidHeader)]
    public void AttachmentAndIdValuesMimeKitCannotWriteAreRefusedBeforeAnythingIsOpened(string field, string value, MessageValidationError expected)
    {
        var opened = 0;
        Stream Open()
        {
            opened++;
            return new MemoryStream(new byte[] { 1 });
        }

        var attachment = field switch
        {
            "contentType" => MailAttachment.FromStream("report.csv", Open, contentType: value),
            "fileName" => MailAttachment.FromStream(value, Open),
            "contentId" => MailAttachment.FromStream("logo.png", Open, contentId: value),
            _ => MailAttachment.FromStream("report.csv", Open),
        };

        var error = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(Basic with
        {
            HtmlBody = "<img src=\"cid:logo\">",
            Attachments = new[] { attachment },
            MessageId = field == "messageId" ? value : null,
        }));

        Assert.Equal(expected, error.Error);
        Assert.Equal(value, error.Target);
        Assert.Equal(0, opened);
    }

    [Fact]
    public void ABodyTheChosenEncodingCannotEncodeIsComposedWithReplacementCharacters()
    {
        // A lone surrogate under an encoding that throws on invalid input (EncoderFallbackException before).
        using var composed = MessageComposer.Compose(Basic with { TextBody = "bad \uD800 text", BodyEncoding = new UTF8Encoding(false, throwOnInvalidBytes: true) });
        using var parsed = RoundTrip(composed);

        Assert.StartsWith("bad ", parsed.TextBody, StringComparison.Ordinal);
        Assert.EndsWith(" text", parsed.TextBody!.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateInlineContentIdsAreRefused()
    {
        var png = File("a.png", new byte[] { 1 });
        var error = Assert.Throws<MessageValidationException>(() => MessageComposer.Compose(new MailMessageDefinition
        {
            From = Basic.From,
            To = Basic.To,
            HtmlBody = "<img src=cid:x>",
            Attachments = new[] { new MailAttachment(png, "x"), new MailAttachment(png, "X") },
        }));

        Assert.Equal(MessageValidationError.InvalidContentId, error.Error);
    }

    [Fact]
    public void AttachmentsAreStreamedFromDiskNotCopiedIntoMemory()
    {
        var path = File("big.bin", new byte[1024 * 1024]);

        using var composed = MessageComposer.Compose(new MailMessageDefinition { From = Basic.From, To = Basic.To, Attachments = new[] { new MailAttachment(path) } });

        var part = composed.BodyParts.OfType<MimePart>().Single(p => p.IsAttachment);
        Assert.IsType<FileStream>(part.Content!.Stream);
    }
}
