using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using MimeKit;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>
/// A large message made large by its small attachments (each under 3 MB): the draft keeps what fits one request, the rest
/// is added with one attachment POST each, and the message that goes out (read back from the contract Endpoint, assembled
/// with every attachment) has every attachment byte for byte with its name, type, content id and inline flag.
/// </summary>
public sealed class GraphSmallAttachmentTests() : GraphEndpointTest("small")
{
    private const int Megabyte = 1024 * 1024;

    [Fact]
    public async Task TwelveReportsOfOneMegabyteEachArriveByteForByteWithTheirNamesAndTypes()
    {
        // 12 MB of PDFs: 16 MB of Base64, four times what one request takes; every file is far under 3 MB.
        var files = new List<string>();
        for (var i = 1; i <= 12; i++)
        {
            files.Add(await WriteRandomFileAsync($"report-{i:D2}.pdf", Megabyte));
        }

        using var transport = new GraphTransport(DefaultOptions());

        var result = await transport.SendAsync(GraphTransportTests.SmallMessage() with
        {
            Subject = "monthly reports",
            Attachments = files.Select(f => new MailAttachment(f)).ToList(),
        });

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(GraphSendRoute.DraftWithUploadSessions, result.Route);
        Assert.Contains(Endpoint.Requests, r => r.Method == "POST" && r.Path.EndsWith("/attachments", StringComparison.Ordinal) && r.Status == 201);
        Assert.DoesNotContain(Endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
        using var sent = Assert.Single(Endpoint.Sent).Assemble();
        Assert.Equal("monthly reports", sent.Subject);
        var attachments = sent.Attachments.OfType<MimePart>().ToList();
        Assert.Equal(files.Select(Path.GetFileName).Order(), attachments.Select(a => a.FileName).Order());
        foreach (var part in attachments)
        {
            Assert.Equal("application/pdf", part.ContentType.MimeType);
            Assert.True(part.IsAttachment);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Folder, part.FileName!)), Decode(part));
        }

        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task InlineImagesSmallAttachmentsAndALargeOneArriveCompleteWithTheirContentIdsAndInlineFlags()
    {
        // The images alone are more than one request's MIME (2.3 MB, 3.2 MB once encoded): the larger one is POSTed as inline.
        var logo = await WriteRandomFileAsync("logo.png", 1_100 * 1024);
        var chart = await WriteRandomFileAsync("chart.png", 1_200 * 1024);
        var small = new List<string>();
        for (var i = 1; i <= 8; i++)
        {
            small.Add(await WriteRandomFileAsync($"sheet-{i}.xlsx", Megabyte));
        }

        var large = await WriteRandomFileAsync("archive.zip", 5 * Megabyte);
        using var transport = new GraphTransport(DefaultOptions());

        await transport.SendAsync(GraphTransportTests.SmallMessage() with
        {
            Subject = "dashboard",
            HtmlBody = "<p><img src=\"cid:logo@contoso.test\"> <img src=\"cid:chart@contoso.test\"></p>",
            Attachments = [new MailAttachment(logo, "logo@contoso.test"), new MailAttachment(chart, "chart@contoso.test"), .. small.Select(f => new MailAttachment(f)), new MailAttachment(large)],
        });

        Assert.Empty(Endpoint.Violations);
        Assert.Single(Endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
        var record = Assert.Single(Endpoint.Sent);
        var postedImage = Assert.Single(record.Attachments, a => a.Name == "chart.png");
        Assert.True(postedImage.IsInline);
        Assert.Equal("chart@contoso.test", postedImage.ContentId);
        using var sent = record.Assemble();
        var parts = sent.BodyParts.OfType<MimePart>().Where(p => p.FileName is not null).ToDictionary(p => p.FileName!);
        Assert.Equal(11, parts.Count);
        foreach (var (file, cid) in new[] { (logo, "logo@contoso.test"), (chart, "chart@contoso.test") })
        {
            var image = parts[Path.GetFileName(file)];
            Assert.Equal(cid, image.ContentId);
            Assert.False(image.IsAttachment);
            Assert.Equal("image/png", image.ContentType.MimeType);
        }

        foreach (var file in small.Append(large).Append(logo).Append(chart))
        {
            Assert.Equal(await File.ReadAllBytesAsync(file), Decode(parts[Path.GetFileName(file)]));
        }

        Assert.All(small.Append(large), f => Assert.True(parts[Path.GetFileName(f)].IsAttachment));
        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task AnAttachmentJustUnderThreeMegabytesWhoseBase64CannotFitOneRequestGoesThroughAnUploadSession()
    {
        // 3,000,000 bytes are 4,000,000 of Base64: with the JSON around them, more than SendMailLimit (4 MB read as 4,000,000,
        // the reading that is safe whichever Graph means), although under 3 MiB, the size Graph's docs give the POST.
        var nearly = await WriteRandomFileAsync("scan.tif", 3_000_000);
        var other = await WriteRandomFileAsync("notes.txt", 2 * Megabyte);
        using var transport = new GraphTransport(DefaultOptions());

        await transport.SendAsync(GraphTransportTests.SmallMessage() with { Attachments = [new MailAttachment(nearly), new MailAttachment(other)] });

        Assert.Empty(Endpoint.Violations);
        Assert.Single(Endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
        using var sent = Assert.Single(Endpoint.Sent).Assemble();
        var parts = sent.Attachments.OfType<MimePart>().ToDictionary(p => p.FileName!);
        Assert.Equal(await File.ReadAllBytesAsync(nearly), Decode(parts["scan.tif"]));
        Assert.Equal(await File.ReadAllBytesAsync(other), Decode(parts["notes.txt"]));
    }

    [Fact]
    public async Task AnAttachmentPostThrottledWithRetryAfterIsRetriedAndTheSendCompletes()
    {
        var files = await SmallFilesAsync(6);
        Endpoint.Script(GraphOperation.AddAttachment, GraphFault.Throttle, retryAfterSeconds: 1, after: 1);
        using var transport = new GraphTransport(ScaledOptions());

        var result = await transport.SendAsync(GraphTransportTests.SmallMessage() with { Attachments = files.Select(f => new MailAttachment(f)).ToList() });

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(2, result.Attempts);
        var posts = Endpoint.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/attachments", StringComparison.Ordinal)).Select(r => r.Status).ToList();
        Assert.Equal(429, posts[1]);
        Assert.Equal(201, posts[2]);
        using var sent = Assert.Single(Endpoint.Sent).Assemble();
        var parts = sent.Attachments.OfType<MimePart>().ToDictionary(p => p.FileName!);
        Assert.Equal(files.Count, parts.Count);
        foreach (var file in files)
        {
            Assert.Equal(await File.ReadAllBytesAsync(file), Decode(parts[Path.GetFileName(file)]));
        }

        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task AnAttachmentPostWhoseAnswerIsLostAfterItAttachedTheFileIsFoundOnTheDraftAndNotAttachedTwice()
    {
        var files = await SmallFilesAsync(6);
        Endpoint.ScriptAttachmentAnswerLost(afterPosts: 1);
        using var transport = new GraphTransport(ScaledOptions());

        await transport.SendAsync(GraphTransportTests.SmallMessage() with { Attachments = files.Select(f => new MailAttachment(f)).ToList() });

        Assert.Empty(Endpoint.Violations);
        var posts = Endpoint.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/attachments", StringComparison.Ordinal)).Select(r => r.Status).ToList();
        Assert.Equal(0, posts[1]);
        Assert.Single(Endpoint.Requests, r => r.Method == "GET" && r.Path.EndsWith("/attachments", StringComparison.Ordinal));
        using var sent = Assert.Single(Endpoint.Sent).Assemble();
        var names = sent.Attachments.OfType<MimePart>().Select(p => p.FileName).ToList();
        Assert.Equal(files.Select(Path.GetFileName).Order(), names.Order());
    }

    [Fact]
    public async Task AnAttachmentPostRefusedForGoodFailsWithGraphsErrorAndDeletesTheDraft()
    {
        var files = await SmallFilesAsync(6);
        Endpoint.Script(GraphOperation.AddAttachment, GraphFault.AccessDenied);
        using var transport = new GraphTransport(ScaledOptions());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(GraphTransportTests.SmallMessage() with { Attachments = files.Select(f => new MailAttachment(f)).ToList() }));

        Assert.Equal(GraphFailureKind.Permanent, failure.Kind);
        Assert.Equal(403, failure.StatusCode);
        Assert.Equal("ErrorAccessDenied", failure.ErrorCode);
        Assert.Contains("add attachment", failure.Message, StringComparison.Ordinal);
        Assert.Single(Endpoint.Requests, r => r.Method == "POST" && r.Path.EndsWith("/attachments", StringComparison.Ordinal));
        Assert.Empty(Endpoint.Drafts);
        Assert.Empty(Endpoint.Sent);
        Assert.Single(Endpoint.Requests, r => r.Method == "DELETE" && r.Status == 204);
        Assert.Contains("was deleted from the mailbox 'reports@contoso.test'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(failure.DraftOutcome, failure.Data[GraphTransportException.DraftDataKey]);
    }

    [Fact]
    public async Task AMessageLoadedFromMimeSendsItsLargeAndSmallAttachments()
    {
        // A MimeMessage loaded from an .eml holds its attachments in Base64, not as files. A 5 MB archive (an upload
        // session) and six 1 MB sheets (too many for the draft's request) still go.
        var files = new List<string> { await WriteRandomFileAsync("archive.zip", 5 * Megabyte) };
        for (var i = 1; i <= 6; i++)
        {
            files.Add(await WriteRandomFileAsync($"sheet-{i}.xlsx", Megabyte));
        }

        var builder = new BodyBuilder { TextBody = "nightly export" };
        foreach (var file in files)
        {
            await builder.Attachments.AddAsync(file);
        }

        using var composed = new MimeMessage(new[] { MailboxAddress.Parse("reports@contoso.test") }, new[] { MailboxAddress.Parse("ops@contoso.test") }, "nightly export", builder.ToMessageBody());
        using var wire = new MemoryStream();
        await composed.WriteToAsync(wire);
        wire.Position = 0;
        using var parsed = await MimeMessage.LoadAsync(wire);
        Assert.All(parsed.Attachments.OfType<MimePart>(), part => Assert.Equal(ContentEncoding.Base64, part.Content?.Encoding));
        using var transport = new GraphTransport(DefaultOptions());

        var result = await transport.SendAsync(parsed);

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(GraphSendRoute.DraftWithUploadSessions, result.Route);
        Assert.Single(Endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
        Assert.Contains(Endpoint.Requests, r => r.Method == "POST" && r.Path.EndsWith("/attachments", StringComparison.Ordinal) && r.Status == 201);
        using var sent = Assert.Single(Endpoint.Sent).Assemble();
        var parts = sent.Attachments.OfType<MimePart>().ToDictionary(p => p.FileName!);
        Assert.Equal(files.Select(Path.GetFileName).Order(), parts.Keys.Order());
        foreach (var file in files)
        {
            Assert.Equal(await File.ReadAllBytesAsync(file), Decode(parts[Path.GetFileName(file)!]));
        }
    }

    private static byte[] Decode(MimePart part)
    {
        using var decoded = new MemoryStream();
        part.Content!.DecodeTo(decoded);
        return decoded.ToArray();
    }

    // Six files of 3,000 bytes with a 10,000-byte request limit: the draft keeps one, the others are POSTed one each.
    private async Task<List<string>> SmallFilesAsync(int count)
    {
        var files = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            files.Add(await WriteRandomFileAsync($"part-{i}.csv", 3_000));
        }

        return files;
    }

    private async Task<string> WriteRandomFileAsync(string name, int size)
    {
        var path = Path.Combine(Folder, name);
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(size));
        return path;
    }

    private GraphTransportOptions DefaultOptions() => new()
    {
        Mailbox = "reports@contoso.test",
        Endpoint = Endpoint.BaseUrl,
        AccessToken = GraphContractEndpoint.Token(TimeSpan.FromHours(1)),
    };

    private GraphTransportOptions ScaledOptions() => DefaultOptions() with
    {
        SendMailLimit = 10_000,
        UploadSessionMinimum = 16 * 1024,
        UploadChunkSize = 64 * 1024,
        Retry = new RetryPolicy { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(10) },
    };
}
