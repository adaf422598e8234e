using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using MimeKit;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>
/// A 40 MB attachment through a draft and an upload session. Memory is measured in this process, honestly but
/// conservatively: the peak resident set (VmHWM) is reset through /proc/self/clear_refs just before the send and read
/// just after, so it covers the sending side and the in-process contract Endpoint together (which writes what it receives
/// to disk with an 80 KB buffer), and the test runs in a collection that xunit runs alone, so no other test's allocations
/// count. Anything else in the process can only make the number larger, never hide a whole-file buffer (40 MB).
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class GraphLargeAttachmentTests() : GraphEndpointTest("large")
{
    private const long FortyMegabytes = 40L * 1024 * 1024;

    [Fact]
    public async Task AFortyMegabyteAttachmentArrivesByteForByteThroughAnUploadSessionWithoutBeingHeldInMemory()
    {
        var path = Path.Combine(Folder, "backup.bin");
        await WriteRandomFileAsync(path, FortyMegabytes);
        var definition = GraphTransportTests.SmallMessage() with
        {
            Subject = "nightly backup",
            Attachments = [new MailAttachment(path)],
        };
        using var transport = new GraphTransport(new GraphTransportOptions
        {
            Mailbox = "reports@contoso.test",
            Endpoint = Endpoint.BaseUrl,
            AccessToken = GraphContractEndpoint.Token(TimeSpan.FromHours(1)),
        });
        // Warm up (JIT, HttpClient connection, MimeKit's tables) with a small message, so the measurement is the large one.
        await transport.SendAsync(GraphTransportTests.SmallMessage());

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = ResetPeakResidentSet();
        var result = await transport.SendAsync(definition);
        var peak = Status("VmHWM");

        Assert.Empty(Endpoint.Violations);
        Assert.Equal(GraphSendRoute.DraftWithUploadSessions, result.Route);
        var sent = Endpoint.Sent.Last();
        Assert.Equal("draft", sent.Route);
        var uploaded = Assert.Single(sent.Attachments);
        Assert.Equal("backup.bin", uploaded.Name);
        Assert.Equal(FortyMegabytes, uploaded.Size);
        Assert.Equal(await HashAsync(path), await HashAsync(uploaded.Path));
        using var draft = MimeMessage.Load(new MemoryStream(sent.Mime));
        Assert.Equal("nightly backup", draft.Subject);
        Assert.Equal(result.MessageId, draft.MessageId);
        Assert.Empty(draft.Attachments);
        Assert.True(sent.Mime.Length < 64 * 1024, $"the draft's MIME is {sent.Mime.Length} bytes");

        var puts = Endpoint.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal((int)((FortyMegabytes + (12 * 320 * 1024) - 1) / (12 * 320 * 1024)), puts.Count);
        Assert.All(puts, p => Assert.Null(p.BearerToken));
        var growth = peak - baseline;
        Assert.True(growth < 50L * 1024 * 1024, $"peak resident set grew by {growth / (1024.0 * 1024):0.0} MB over the baseline while sending 40 MB");
    }

    // Writing 5 to /proc/self/clear_refs resets VmHWM (the peak resident set) to the current resident set (proc(5)).
    private static long ResetPeakResidentSet()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Status("VmRSS");
    }

    private static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        var kilobytes = line.Substring(field.Length + 1).Trim().Split(' ')[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task WriteRandomFileAsync(string path, long size)
    {
        var block = new byte[1024 * 1024];
        await using var file = File.Create(path);
        for (long written = 0; written < size; written += block.Length)
        {
            RandomNumberGenerator.Fill(block);
            await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, size - written)));
        }
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(file));
    }
}
