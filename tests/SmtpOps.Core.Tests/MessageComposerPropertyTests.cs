using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using CsCheck;
using MimeKit;
using SmtpOps.Messages;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// The composer's header rules over many generated inputs (CsCheck: a thousand or more cases each, the failing
/// case shrunk and its seed printed): reserved names in any case are refused, names that merely contain them
/// and other valid names are allowed, CR/LF/NUL anywhere in a value, file name or content type is refused,
/// and whatever the input, Compose either builds a message that can be written or throws
/// <see cref="MessageValidationException"/>, never another exception.
/// </summary>
public sealed class MessageComposerPropertyTests
{
    private const long Iterations = 1500;

    // Written here independently of the composer: the reserved names and prefixes the README documents.
    private static readonly string[] ReservedNames =
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Message-ID", "Date", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
        "Return-Path", "Received", "Received-SPF", "Authentication-Results", "DKIM-Signature", "DomainKey-Signature",
    };

    private static readonly string[] ReservedPrefixes = { "Resent-", "ARC-" };

    private static readonly string[] KnownResentAndArcNames =
    {
        "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Date", "Resent-Message-ID", "Resent-Reply-To",
        "ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results",
    };

    // RFC 5322 ftext: printable ASCII except the colon.
    private static readonly Gen<char> FieldNameChar = Gen.Char['!', '~'].Where(c => c != ':');

    private static readonly Gen<string> FieldName = FieldNameChar.Array[1, 24].Select(chars => new string(chars));

    private static readonly char[] Breaks = { '\r', '\n', '\0' };

    // Any text, including non-ASCII, control characters and lone surrogates, but no CR, LF or NUL.
    private static readonly Gen<string> LineText = Gen.Frequency<char>(
            (6, Gen.Char[' ', '~']),
            (1, Gen.Char['\u0001', '\u001F']),
            (2, Gen.Char['\u0080', '\uD7FF']),
            (1, Gen.Char['\uD800', '\uDFFF']),
            (1, Gen.Char['\uE000', '\uFFFF']))
        .Array[0, 40]
        .Select(chars => new string(chars.Where(c => Array.IndexOf(Breaks, c) < 0).ToArray()));

    // Header fields a script legitimately adds; none may be caught by the reserved-name rules.
    private static readonly string[] CommonCustomNames =
    {
        "X-Mailer", "X-Report-Id", "X-Priority", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted",
        "Precedence", "Importance", "References", "In-Reply-To", "Keywords", "Comments", "Content-Language",
        "Disposition-Notification-To", "Feedback-ID", "Autocrypt", "TLS-Required", "X-Received-By", "X-Original-To",
    };

    // Text with one to three CR, LF or NUL characters inserted at generated positions.
    private static readonly Gen<string> TextWithBreaks =
        Gen.Select(LineText, Gen.Select(Gen.OneOf(Breaks), Gen.Int[0, 1000]).Array[1, 3], (text, inserts) =>
        {
            var result = text;
            foreach (var (c, at) in inserts)
            {
                result = result.Insert(at % (result.Length + 1), c.ToString());
            }

            return result;
        });

    private static bool IsReserved(string name)
        => ReservedNames.Contains(name, StringComparer.OrdinalIgnoreCase)
        || ReservedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    private static Gen<string> InRandomCase(Gen<string> names)
        => names.SelectMany(name => Gen.Bool.Array[name.Length].Select(upper => new string(name.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray())));

    private static MailMessageDefinition WithHeader(string name, string value) => new()
    {
        From = "reports@contoso.test",
        To = new[] { "ops@contoso.test" },
        TextBody = "x",
        Headers = new Dictionary<string, string> { [name] = value },
    };

    private static MailMessageDefinition WithAttachment(MailAttachment attachment) => new()
    {
        From = "reports@contoso.test",
        To = new[] { "ops@contoso.test" },
        HtmlBody = "<p>x</p>",
        Attachments = new[] { attachment },
    };

    private static MimeMessage ComposeAndReadBack(MailMessageDefinition definition)
    {
        using var composed = MessageComposer.Compose(definition);
        using var buffer = new MemoryStream();
        composed.WriteTo(buffer);
        buffer.Position = 0;
        return MimeMessage.Load(buffer);
    }

    // The top-level header block as written on the wire (CRLF line ends): Content-* fields a reader would move to the body.
    private static string[] WrittenHeaderLines(MailMessageDefinition definition)
    {
        using var composed = MessageComposer.Compose(definition);
        using var buffer = new MemoryStream();
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        composed.WriteTo(options, buffer);
        var text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        return text.Substring(0, text.IndexOf("\r\n\r\n", StringComparison.Ordinal)).Split("\r\n");
    }

    // Compose must refuse with MessageValidationException, or succeed with a message that can be written:
    // never a MimeKit ParseException, FormatException or ArgumentException.
    private static MessageValidationException? ComposeOrRefuse(MailMessageDefinition definition)
    {
        try
        {
            ComposeAndReadBack(definition).Dispose();
            return null;
        }
        catch (MessageValidationException refused)
        {
            return refused;
        }
    }

    private static MessageValidationException Refused(MailMessageDefinition definition)
        => ComposeOrRefuse(definition) ?? throw new InvalidOperationException("Compose accepted it.");

    [Fact]
    public void ReservedNamesAndPrefixesInAnyCaseAreRefused()
    {
        var reservedOrPrefixed = Gen.OneOf<string>(
            Gen.OneOf(ReservedNames),
            Gen.OneOf(KnownResentAndArcNames),
            Gen.Select(Gen.OneOf(ReservedPrefixes), FieldName, (prefix, rest) => prefix + rest));

        InRandomCase(reservedOrPrefixed).Sample(name =>
        {
            var refused = Refused(WithHeader(name, "x@evil.test"));
            Assert.Equal(MessageValidationError.InvalidHeader, refused.Error);
            Assert.Equal(name, refused.Target);
            Assert.Contains(name, refused.Message, StringComparison.Ordinal);
        }, iter: Iterations);
    }

    [Fact]
    public void NamesThatMerelyContainAReservedNameAreAllowed()
    {
        // "X-Received-By", "Original-Return-Path", "X-Resent-To", "Bcc-Copy", "X-ARC-Seal": a token before or after.
        var containing = Gen.Select(FieldName, Gen.OneOf(ReservedNames.Concat(KnownResentAndArcNames).ToArray()), FieldName, Gen.Int[0, 2], (before, reserved, after, where) =>
            where switch
            {
                0 => before + "-" + reserved,
                1 => reserved + "-" + after,
                _ => before + "-" + reserved + "-" + after,
            }).Where(name => !IsReserved(name));

        InRandomCase(containing).Sample(name =>
            Assert.Contains(name + ": value", WrittenHeaderLines(WithHeader(name, "value"))), iter: Iterations);
    }

    [Fact]
    public void AnyOtherValidFieldNameIsAllowedAndWrittenWithItsValue()
    {
        var names = Gen.OneOf<string>(FieldName.Where(name => !IsReserved(name)), InRandomCase(Gen.OneOf(CommonCustomNames)));

        Gen.Select(names, LineText).Sample((name, value) =>
        {
            Assert.Contains(WrittenHeaderLines(WithHeader(name, value)), line => line.StartsWith(name + ":", StringComparison.Ordinal));
            ComposeAndReadBack(WithHeader(name, value)).Dispose();
        }, iter: Iterations);
    }

    [Fact]
    public void ALineBreakOrNulAnywhereInAHeaderValueIsRefused()
    {
        Gen.Select(FieldName.Where(name => !IsReserved(name)), TextWithBreaks).Sample((name, value) =>
        {
            var refused = Refused(WithHeader(name, value));
            Assert.Equal(MessageValidationError.HeaderInjection, refused.Error);
            Assert.Equal(value, refused.Target);
        }, iter: Iterations);
    }

    [Fact]
    public void ALineBreakOrNulAnywhereInAHeaderNameIsRefused()
    {
        FieldName.SelectMany(name => TextWithBreaks.Select(breaks => name + breaks)).Sample(name =>
            Assert.Equal(MessageValidationError.HeaderInjection, Refused(WithHeader(name, "v")).Error), iter: Iterations);
    }

    [Fact]
    public void ALineBreakOrNulInAnAttachmentsFileNameOrContentTypeIsRefusedBeforeItIsOpened()
    {
        Gen.Select(TextWithBreaks, Gen.Bool).Sample((bad, inContentType) =>
        {
            var opened = 0;
            var attachment = inContentType
                ? MailAttachment.FromStream("report.csv", () => { Interlocked.Increment(ref opened); return new MemoryStream(new byte[] { 1 }); }, "text/csv" + bad)
                : MailAttachment.FromStream("report" + bad + ".csv", () => { Interlocked.Increment(ref opened); return new MemoryStream(new byte[] { 1 }); });

            var refused = Refused(WithAttachment(attachment));

            Assert.Equal(MessageValidationError.HeaderInjection, refused.Error);
            Assert.Equal(0, opened);
        }, iter: Iterations);
    }

    [Fact]
    public void AnyContentTypeIsEitherRefusedOrWrittenAsParsed()
    {
        // Strings built from what a Content-Type is made of, so that many parse and many almost do.
        var pieces = Gen.OneOf("text", "/", "plain", "application", "octet-stream", "multipart", "mixed", ";", " ", "=", "\"", "\\", "(", ")",
            "charset", "name", "*", "'", "%", "utf-8", "é", "<", ">", "@", ",", ":", "?", "[", "]", "\t", "x", "\u0001");
        var contentTypes = Gen.OneOf<string>(pieces.Array[1, 12].Select(parts => string.Concat(parts)), LineText);

        contentTypes.Sample(contentType =>
        {
            var opened = 0;
            var attachment = MailAttachment.FromStream("data.bin", () => { Interlocked.Increment(ref opened); return new MemoryStream(new byte[] { 1, 2, 3 }); }, contentType);

            if (ComposeOrRefuse(WithAttachment(attachment)) is { } refused)
            {
                Assert.Equal(MessageValidationError.InvalidContentType, refused.Error);
                Assert.Equal(contentType, refused.Target);
                Assert.Equal(0, opened);
            }
            else
            {
                var expected = ContentType.Parse(contentType);
                using var read = ComposeAndReadBack(WithAttachment(MailAttachment.FromStream("data.bin", () => new MemoryStream(new byte[] { 1 }), contentType)));
                var part = Assert.Single(read.Attachments.OfType<MimePart>());
                Assert.Equal(expected.MimeType, part.ContentType.MimeType, StringComparer.OrdinalIgnoreCase);
                Assert.False(part.ContentType.IsMimeType("multipart", "*"));
            }
        }, iter: Iterations);
    }

    [Fact]
    public void AnyContentIdOrMessageIdIsEitherRefusedOrWrittenAsGiven()
    {
        var pieces = Gen.OneOf("a", "b.c", "@", ".", "(", ")", "\"", "\\", "[", "]", ",", ";", ":", "<", ">", " ", "é", "-", "+", "=", "logo", "contoso.test");
        var ids = Gen.OneOf<string>(pieces.Array[1, 8].Select(parts => string.Concat(parts)), LineText);

        Gen.Select(ids, Gen.Bool).Sample((id, asContentId) =>
        {
            var definition = asContentId
                ? WithAttachment(MailAttachment.FromStream("logo.png", () => new MemoryStream(new byte[] { 1 }), contentId: id))
                : WithHeader("X-Tag", "v") with { MessageId = id };

            if (ComposeOrRefuse(definition) is { } refused)
            {
                Assert.Contains(refused.Error, new[] { MessageValidationError.InvalidContentId, MessageValidationError.InvalidHeader, MessageValidationError.HeaderInjection });
                Assert.Equal(id, refused.Target);
            }
            else
            {
                using var read = ComposeAndReadBack(definition);
                Assert.Equal(id, asContentId ? Assert.Single(read.BodyParts.OfType<MimePart>(), p => p.ContentId is not null).ContentId : read.MessageId);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void AnyDefinitionIsEitherComposedAndWrittenOrRefusedAsInvalid()
    {
        // Addresses, subject, bodies, a header, priority and body encoding at once, from hostile text.
        var addressPieces = Gen.OneOf("a", "@", "contoso.test", "<", ">", "\"", " ", ",", ";", ":", "(", ")", "é", "\\", "[", "]", ".", "\r\n", "=?utf-8?q?x?=");
        var addresses = Gen.OneOf<string>(addressPieces.Array[1, 10].Select(parts => string.Concat(parts)), Gen.Const("ops@contoso.test"), LineText);
        var encodings = Gen.OneOf<System.Text.Encoding>(
            new System.Text.UTF8Encoding(false, true), System.Text.Encoding.ASCII, System.Text.Encoding.Unicode, System.Text.Encoding.UTF32, System.Text.Encoding.Latin1);
        var definitions = Gen.Select(
            Gen.Select(addresses, addresses, Gen.OneOf<string>(LineText, TextWithBreaks)),
            Gen.Select(LineText, FieldName, Gen.OneOf<string>(LineText, TextWithBreaks)),
            Gen.Select(Gen.Int[-1, 3], encodings),
            (addressing, content, options) => new MailMessageDefinition
            {
                From = addressing.Item1,
                To = new[] { addressing.Item2 },
                Subject = addressing.Item3,
                TextBody = content.Item1,
                HtmlBody = content.Item1.Length % 2 == 0 ? "<p>" + content.Item1 + "</p>" : null,
                Headers = new Dictionary<string, string> { [content.Item2] = content.Item3 },
                Priority = (SmtpOps.Messages.MessagePriority)options.Item1,
                BodyEncoding = options.Item2,
            });

        definitions.Sample(definition => _ = ComposeOrRefuse(definition), iter: Iterations);
    }

    [Fact]
    public void AnyFileNameWithoutLineBreaksIsWritten()
    {
        LineText.Where(name => name.Length > 0).Sample(fileName =>
        {
            using var read = ComposeAndReadBack(WithAttachment(MailAttachment.FromStream(fileName, () => new MemoryStream(new byte[] { 1 }))));
            Assert.Single(read.Attachments);
        }, iter: Iterations);
    }
}
