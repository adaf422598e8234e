using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.Smtp;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>
/// A large message (draft, upload session, send) whose upload or send fails: a range broken half-way is resumed where the
/// upload session says, within the retries; a failure for good deletes the draft and says so, and a draft that cannot be
/// deleted does not hide the failure. The sizes are small (a 200,000-byte attachment in 64 KiB ranges) by lowering the
/// transport's limits, so the draft route runs as it does for a 40 MB file.
/// </summary>
public sealed class GraphLargeMessageFailureTests() : GraphEndpointTest("failure")
{
    private const int AttachmentBytes = 200_000;
    private const int RangeBytes = 64 * 1024;
    private string attachment = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        attachment = Path.Combine(Folder, "ledger.bin");
        await File.WriteAllBytesAsync(attachment, RandomNumberGenerator.GetBytes(AttachmentBytes));
    }

    [Theory]
    [InlineData(GraphFault.Unavailable)]
    [InlineData(GraphFault.Disconnect)]
    public async Task ARangeThatFailsAfterPartOfItWasStoredIsResumedWhereTheUploadSessionSaysAndArrivesByteForByte(GraphFault fault)
    {
        // The second range: its first 10,000 bytes are stored, then 503 (or the connection drops).
        Endpoint.ScriptBrokenUploadRange(fault, acceptedBytes: 10_000, afterRanges: 1);
        using var transport = new GraphTransport(Options());

        var result = await transport.SendAsync(LargeMessage());

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(GraphSendRoute.DraftWithUploadSessions, result.Route);
        Assert.Equal(2, result.Attempts);
        var uploaded = Assert.Single(Assert.Single(Endpoint.Sent).Attachments);
        Assert.Equal(await File.ReadAllBytesAsync(attachment), await File.ReadAllBytesAsync(uploaded.Path));
        var upload = Endpoint.Requests.Where(r => r.Path.StartsWith("/upload/", StringComparison.Ordinal)).Select(r => $"{r.Method} {r.Status}").ToArray();
        Assert.Equal(new[] { "PUT 200", fault == GraphFault.Disconnect ? "PUT 0" : "PUT 503", "GET 200", "PUT 200", "PUT 201" }, upload);
        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task ARangeThatKeepsFailingEndsTheSendAsTransientAfterTheRetriesAndDeletesTheDraft()
    {
        Endpoint.Script(GraphOperation.UploadRange, GraphFault.Unavailable, times: 10, retryAfterSeconds: 0);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.True(failure.IsTransient);
        Assert.Equal(503, failure.StatusCode);
        Assert.Equal(4, failure.Attempts);
        Assert.Equal(4, Endpoint.Requests.Count(r => r.Method == "PUT"));
        Assert.Equal(3, Endpoint.Requests.Count(r => r.Method == "GET"));
        AssertDraftDeleted(failure);
    }

    [Fact]
    public async Task AnUploadRefusedForGoodFailsWithGraphsErrorAndDeletesTheDraft()
    {
        Endpoint.Script(GraphOperation.UploadRange, GraphFault.AccessDenied);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.Equal(GraphFailureKind.Permanent, failure.Kind);
        Assert.Equal("ErrorAccessDenied", failure.ErrorCode);
        Assert.Single(Endpoint.Requests, r => r.Method == "PUT");
        AssertDraftDeleted(failure);
    }

    [Fact]
    public async Task ASendRefusedForGoodFailsWithGraphsErrorAndDeletesTheDraft()
    {
        // An app with Mail.ReadWrite but without Mail.Send: the draft and its upload are allowed, the send is not.
        Endpoint.Script(GraphOperation.SendDraft, GraphFault.AccessDenied);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.Equal(GraphFailureKind.Permanent, failure.Kind);
        Assert.Equal(403, failure.StatusCode);
        Assert.Contains("send draft", failure.Message, StringComparison.Ordinal);
        Assert.Equal(AttachmentBytes, new FileInfo(Assert.Single(Directory.GetFiles(Path.Combine(Folder, "received")))).Length);
        AssertDraftDeleted(failure);
    }

    [Fact]
    public async Task WhenTheDraftCannotBeDeletedTheSendsOwnFailureStaysAndSaysTheDraftIsLeft()
    {
        Endpoint.Script(GraphOperation.SendDraft, GraphFault.AccessDenied);
        Endpoint.Script(GraphOperation.DeleteMessage, GraphFault.Unavailable);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.Equal(403, failure.StatusCode);
        Assert.Equal("ErrorAccessDenied", failure.ErrorCode);
        var draft = Assert.Single(Endpoint.Drafts);
        Assert.Contains($"The draft '{draft}' stays in the Drafts folder", failure.Message, StringComparison.Ordinal);
        Assert.Contains("503", failure.DraftOutcome, StringComparison.Ordinal);
        Assert.Equal(failure.DraftOutcome, failure.Data[GraphTransportException.DraftDataKey]);
    }

    [Fact]
    public async Task ASendThatGotNoAnswerKeepsTheDraftSinceItMayHaveGoneOut()
    {
        Endpoint.Script(GraphOperation.SendDraft, GraphFault.Disconnect, times: 4);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.Equal(GraphFailureKind.Connection, failure.Kind);
        Assert.Equal(4, Endpoint.Requests.Count(r => r.Path.EndsWith("/send", StringComparison.Ordinal)));
        Assert.DoesNotContain(Endpoint.Requests, r => r.Method == "DELETE");
        var draft = Assert.Single(Endpoint.Drafts);
        Assert.Contains($"The draft '{draft}' stays in the Drafts folder", failure.Message, StringComparison.Ordinal);
        Assert.Contains("may have gone out", failure.DraftOutcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellingWhileWaitingToResumeEndsTheSendWithoutResumingAndDeletesTheDraft()
    {
        Endpoint.Script(GraphOperation.UploadRange, GraphFault.Unavailable, retryAfterSeconds: 60);
        using var transport = new GraphTransport(Options());
        using var cancel = new CancellationTokenSource();

        var sending = transport.SendAsync(LargeMessage(), cancel.Token);
        while (!sending.IsCompleted && !Endpoint.Requests.Any(r => r.Status == 503))
        {
            await Task.Delay(10);
        }

        cancel.Cancel();
        var failure = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);

        Assert.DoesNotContain(Endpoint.Requests, r => r.Method == "GET");
        Assert.Contains("was deleted", (string)failure.Data[GraphTransportException.DraftDataKey]!, StringComparison.Ordinal);
        Assert.Empty(Endpoint.Drafts);
        Assert.Empty(Endpoint.Sent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnUploadSessionThatIsGoneIsStartedOverOnceInANewSessionAndTheAttachmentArrivesWhole(bool goneOnStatus)
    {
        // The session expires at the second range: its PUT is answered 404, or (goneOnStatus) the PUT fails with 503 and the
        // status GET that would resume it is answered 404.
        if (goneOnStatus)
        {
            Endpoint.Script(GraphOperation.UploadRange, GraphFault.Unavailable, retryAfterSeconds: 0, after: 1);
            Endpoint.Script(GraphOperation.UploadStatus, GraphFault.ExpireSession);
        }
        else
        {
            Endpoint.Script(GraphOperation.UploadRange, GraphFault.ExpireSession, after: 1);
        }

        using var transport = new GraphTransport(Options());

        var result = await transport.SendAsync(LargeMessage());

        Assert.Empty(Endpoint.Violations);
        var uploaded = Assert.Single(Assert.Single(Endpoint.Sent).Attachments);
        Assert.Equal(await File.ReadAllBytesAsync(attachment), await File.ReadAllBytesAsync(uploaded.Path));
        Assert.Equal(2, Endpoint.Requests.Count(r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal)));
        Assert.Equal(
            (goneOnStatus ? new[] { "PUT 200", "PUT 503", "GET 404" } : new[] { "PUT 200", "PUT 404" }).Concat(new[] { "PUT 200", "PUT 200", "PUT 200", "PUT 201" }),
            UploadRequests());
        Assert.Equal(goneOnStatus ? 3 : 2, result.Attempts);
        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task AnUploadSessionThatIsGoneAgainInItsNewSessionFailsWithGraphs404AndDeletesTheDraft()
    {
        Endpoint.Script(GraphOperation.UploadRange, GraphFault.ExpireSession, times: 2, after: 1);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.Equal(GraphFailureKind.Permanent, failure.Kind);
        Assert.Equal(404, failure.StatusCode);
        Assert.Equal("ErrorItemNotFound", failure.ErrorCode);
        Assert.Contains("upload attachment", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, Endpoint.Requests.Count(r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal)));
        Assert.Equal(new[] { "PUT 200", "PUT 404", "PUT 404" }, UploadRequests());
        AssertDraftDeleted(failure);
    }

    [Fact]
    public async Task ALastRangeWhoseAnswerIsLostAfterItCompletedTheAttachmentIsFoundOnTheDraftAndNeitherUploadedNorSentTwice()
    {
        // 200,000 bytes are four ranges: the fourth is stored, the attachment made, and the connection drops before the 201.
        Endpoint.ScriptUploadAnswerLost(afterRanges: 3);
        using var transport = new GraphTransport(Options());

        var result = await transport.SendAsync(LargeMessage());

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(GraphSendRoute.DraftWithUploadSessions, result.Route);
        var uploaded = Assert.Single(Assert.Single(Endpoint.Sent).Attachments);
        Assert.Equal(await File.ReadAllBytesAsync(attachment), await File.ReadAllBytesAsync(uploaded.Path));
        Assert.Equal(new[] { "PUT 200", "PUT 200", "PUT 200", "PUT 0", "GET 404" }, UploadRequests());
        Assert.Single(Endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
        Assert.Single(Endpoint.Requests, r => r.Method == "GET" && r.Path.EndsWith("/attachments", StringComparison.Ordinal) && r.Status == 200);
        Assert.Single(Endpoint.Requests, r => r.Path.EndsWith("/send", StringComparison.Ordinal));
        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task WhenTheDraftsAttachmentListingIsNotJsonAfterALostLastAnswerTheSendFailsForGoodWithoutUploadingAgain()
    {
        // The fourth (last) range completes the attachment and its 201 is lost; the listing that would tell so is an HTML page.
        Endpoint.ScriptUploadAnswerLost(afterRanges: 3);
        Endpoint.Script(GraphOperation.ListAttachments, GraphFault.NotJson);
        using var transport = new GraphTransport(Options());

        var failure = await Assert.ThrowsAsync<GraphTransportException>(() => transport.SendAsync(LargeMessage()));

        Assert.Equal(GraphFailureKind.Permanent, failure.Kind);
        Assert.Contains("could not be read", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "PUT 200", "PUT 200", "PUT 200", "PUT 0", "GET 404" }, UploadRequests());
        Assert.Single(Endpoint.Requests, r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal));
        Assert.Single(Endpoint.Requests, r => r.Method == "GET" && r.Path.EndsWith("/attachments", StringComparison.Ordinal) && r.Status == 200);
        Assert.DoesNotContain(Endpoint.Requests, r => r.Path.EndsWith("/send", StringComparison.Ordinal));
        AssertDraftDeleted(failure);
    }

    [Fact]
    public async Task ALastRangeLostUnstoredInASessionThatThenExpiredIsUploadedAgainAndNotMistakenForAnAttachmentOfTheSameName()
    {
        // Two files of the same name and size: the second's last range (range 8) gets no answer and is not stored, and
        // its session is gone when the transport asks. The draft lists one 'ledger.bin', the first: not this one.
        var second = Path.Combine(Folder, "copy", "ledger.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(second)!);
        File.Copy(attachment, second);
        Endpoint.ScriptBrokenUploadRange(GraphFault.Disconnect, acceptedBytes: 0, afterRanges: 7);
        Endpoint.Script(GraphOperation.UploadStatus, GraphFault.ExpireSession);
        using var transport = new GraphTransport(Options());

        await transport.SendAsync(LargeMessage() with { Attachments = [new MailAttachment(attachment), new MailAttachment(second)] });

        Assert.Empty(Endpoint.Violations);
        var sent = Assert.Single(Endpoint.Sent);
        Assert.Equal(2, sent.Attachments.Count);
        Assert.All(sent.Attachments, a => Assert.Equal(AttachmentBytes, new FileInfo(a.Path).Length));
        Assert.Equal(await File.ReadAllBytesAsync(second), await File.ReadAllBytesAsync(sent.Attachments[1].Path));
        Assert.Single(Endpoint.Requests, r => r.Method == "GET" && r.Path.EndsWith("/attachments", StringComparison.Ordinal));
        Assert.Equal(3, Endpoint.Requests.Count(r => r.Path.EndsWith("/createUploadSession", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ARangeThatHangsPastTheTimeoutIsGivenUpAndResumedAndTheSendCompletes()
    {
        // The second range is read and never answered; the transport's 2-second timeout gives it up.
        Endpoint.ScriptBrokenUploadRange(GraphFault.Hang, acceptedBytes: 0, afterRanges: 1);
        using var transport = new GraphTransport(Options() with { Timeout = TimeSpan.FromSeconds(2) });

        // A guard against a hang, not a timing: a transport without a working timeout never finishes.
        var result = await transport.SendAsync(LargeMessage()).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(2, result.Attempts);
        var uploaded = Assert.Single(Assert.Single(Endpoint.Sent).Attachments);
        Assert.Equal(await File.ReadAllBytesAsync(attachment), await File.ReadAllBytesAsync(uploaded.Path));
        Assert.Equal(new[] { "PUT 200", "PUT 0", "GET 200", "PUT 200", "PUT 200", "PUT 201" }, UploadRequests());
        Assert.Empty(Endpoint.Drafts);
    }

    [Fact]
    public async Task CancellingWhileARangeHangsEndsTheSendAtOnceWithoutResumingAndDeletesTheDraft()
    {
        // The transport's own timeout is far away: only the caller's token can end the hanging request.
        Endpoint.ScriptBrokenUploadRange(GraphFault.Hang, acceptedBytes: 0, afterRanges: 1);
        using var transport = new GraphTransport(Options() with { Timeout = TimeSpan.FromMinutes(10) });
        using var cancel = new CancellationTokenSource();

        var sending = transport.SendAsync(LargeMessage(), cancel.Token);
        while (!sending.IsCompleted && !Endpoint.Requests.Any(r => r.Method == "PUT" && r.Status == 0))
        {
            await Task.Delay(10);
        }

        cancel.Cancel();

        // A guard against a hang, not a timing: a request that ignores the token would hang until the 10-minute timeout.
        var failure = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(new[] { "PUT 200", "PUT 0" }, UploadRequests());
        Assert.Contains("was deleted", (string)failure.Data[GraphTransportException.DraftDataKey]!, StringComparison.Ordinal);
        Assert.Empty(Endpoint.Drafts);
        Assert.Empty(Endpoint.Sent);
    }

    private string[] UploadRequests() =>
        Endpoint.Requests.Where(r => r.Path.StartsWith("/upload/", StringComparison.Ordinal)).Select(r => $"{r.Method} {r.Status}").ToArray();

    private void AssertDraftDeleted(GraphTransportException failure)
    {
        Assert.Empty(Endpoint.Drafts);
        Assert.Empty(Endpoint.Sent);
        Assert.Single(Endpoint.Requests, r => r.Method == "DELETE" && r.Status == 204);
        Assert.Contains("was deleted from the mailbox 'reports@contoso.test'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(failure.DraftOutcome, failure.Data[GraphTransportException.DraftDataKey]);
    }

    private MailMessageDefinition LargeMessage() => GraphTransportTests.SmallMessage() with
    {
        Subject = "ledger",
        Attachments = [new MailAttachment(attachment)],
    };

    private GraphTransportOptions Options() => new()
    {
        Mailbox = "reports@contoso.test",
        Endpoint = Endpoint.BaseUrl,
        AccessToken = GraphContractEndpoint.Token(TimeSpan.FromHours(1)),
        SendMailLimit = 10_000,
        UploadSessionMinimum = 16 * 1024,
        UploadChunkSize = RangeBytes,
        Retry = new RetryPolicy { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(10) },
    };
}
