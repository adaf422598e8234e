using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using SmtpOps.TestServers.Graph;
using Xunit;

namespace SmtpOps.Tests.Graph;

/// <summary>
/// The contract endpoint itself, driven by hand-written HTTP: it must refuse what a real Graph refuses (and record it),
/// or the transport tests that rely on it could pass against a server that accepts anything.
/// </summary>
public sealed class GraphContractEndpointTests : IAsyncLifetime
{
    private const string Mime = "From: a@contoso.test\r\nTo: b@contoso.test\r\nSubject: hi\r\n\r\nbody\r\n";

    private readonly HttpClient http = new();
    private GraphContractEndpoint endpoint = null!;

    public Task InitializeAsync()
    {
        endpoint = GraphContractEndpoint.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await endpoint.DisposeAsync();
    }

    [Fact]
    public async Task SendMailWithBase64MimeAndAGraphTokenIsAcceptedAndNothingElseIs()
    {
        var accepted = await PostAsync("v1.0/users/a@contoso.test/sendMail", Convert.ToBase64String(Encoding.ASCII.GetBytes(Mime)), GraphContractEndpoint.Token(TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Empty(endpoint.Violations);
        Assert.Equal(Mime, Encoding.ASCII.GetString(Assert.Single(endpoint.Sent).Mime));

        var noToken = await PostAsync("v1.0/users/a@contoso.test/sendMail", Convert.ToBase64String(Encoding.ASCII.GetBytes(Mime)), token: null);
        var storageToken = await PostAsync("v1.0/users/a@contoso.test/sendMail", Convert.ToBase64String(Encoding.ASCII.GetBytes(Mime)), GraphContractEndpoint.Token(TimeSpan.FromHours(1), "https://storage.azure.com"));
        var expired = await PostAsync("v1.0/users/a@contoso.test/sendMail", Convert.ToBase64String(Encoding.ASCII.GetBytes(Mime)), GraphContractEndpoint.Token(TimeSpan.FromMinutes(-1)));
        var rawMime = await PostAsync("v1.0/users/a@contoso.test/sendMail", Mime, GraphContractEndpoint.Token(TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, storageToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, rawMime.StatusCode);
        Assert.Equal("ErrorMimeContentInvalidBase64String", await ErrorCodeAsync(rawMime));
        Assert.Equal(4, endpoint.Violations.Count);
        Assert.Single(endpoint.Sent);
    }

    [Fact]
    public async Task ARequestOverFourMegabytesIsRefusedWith413()
    {
        var large = new string('A', GraphContractEndpoint.MaxRequestBytes + 4);
        var response = await PostAsync("v1.0/users/a@contoso.test/sendMail", large, GraphContractEndpoint.Token(TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(endpoint.Violations, v => v.StartsWith("413 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UploadRangesMustBeInOrderWithoutAuthorizationAndTheDraftIsNotSentBeforeTheUploadIsComplete()
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (id, uploadUrl) = await CreateUploadSessionAsync(size: 10, token);

        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(uploadUrl, 5, 9, 10, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PutAsync(uploadUrl, 0, 4, 10, token)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(uploadUrl, 0, 4, 11, null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(uploadUrl, 0, 4, 10, null)).StatusCode);

        var early = await PostAsync($"v1.0/users/a@contoso.test/messages/{id}/send", string.Empty, token);
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        Assert.Empty(endpoint.Sent);

        var last = await PutAsync(uploadUrl, 5, 9, 10, null);
        Assert.Equal(HttpStatusCode.Created, last.StatusCode);
        Assert.NotNull(last.Headers.Location);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"v1.0/users/a@contoso.test/messages/{id}/send", string.Empty, token)).StatusCode);
        var sent = Assert.Single(endpoint.Sent);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, await System.IO.File.ReadAllBytesAsync(Assert.Single(sent.Attachments).Path));
        Assert.Equal(4, endpoint.Violations.Count);
    }

    [Fact]
    public async Task ABrokenRangeKeepsItsFirstBytesTheUploadUrlSaysWhereToGoOnAndADeletedDraftIsGone()
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (id, uploadUrl) = await CreateUploadSessionAsync(size: 10, token);
        endpoint.ScriptBrokenUploadRange(GraphFault.Unavailable, acceptedBytes: 3);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PutAsync(uploadUrl, 0, 4, 10, null)).StatusCode);
        using (var withToken = new HttpRequestMessage(HttpMethod.Get, uploadUrl))
        {
            withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(withToken)).StatusCode);
        }

        var status = await http.GetAsync(uploadUrl);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Equal("3", JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("nextExpectedRanges")[0].GetString());
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(uploadUrl, 3, 5, 10, null)).StatusCode);
        Assert.Equal(new[] { id }, endpoint.Drafts);

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"v1.0/users/a@contoso.test/messages/{id}", token)).StatusCode);
        Assert.Empty(endpoint.Drafts);
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync($"v1.0/users/a@contoso.test/messages/{id}", token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(uploadUrl)).StatusCode);
        Assert.Equal(3, endpoint.Violations.Count);
    }

    [Fact]
    public async Task ARangeOverFourMegabytesIsRefused()
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (_, uploadUrl) = await CreateUploadSessionAsync(size: 5000000, token);

        var response = await PutAsync(uploadUrl, 0, GraphContractEndpoint.MaxRequestBytes, 5000000, null);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Single(endpoint.Violations);
    }

    [Fact]
    public async Task ScriptedFaultsAnswerTheNextRequestsAsGraphDoes()
    {
        endpoint.Script(GraphFault.Throttle, times: 1, retryAfterSeconds: 7);
        endpoint.Script(GraphFault.AccessDenied);
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var body = Convert.ToBase64String(Encoding.ASCII.GetBytes(Mime));
        var throttled = await PostAsync("v1.0/users/a@contoso.test/sendMail", body, token);
        var denied = await PostAsync("v1.0/users/a@contoso.test/sendMail", body, token);
        var accepted = await PostAsync("v1.0/users/a@contoso.test/sendMail", body, token);
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.Headers.RetryAfter?.Delta);
        Assert.Equal("TooManyRequests", await ErrorCodeAsync(throttled));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("ErrorAccessDenied", await ErrorCodeAsync(denied));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Empty(endpoint.Violations);
        Assert.Equal(new[] { 429, 403, 202 }, endpoint.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task AnExpiredUploadSessionAnswers404AndItsBytesAreNotOnTheDraftWhichANewSessionCanComplete()
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (id, uploadUrl) = await CreateUploadSessionAsync(size: 10, token);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(uploadUrl, 0, 4, 10, null)).StatusCode);
        endpoint.Script(GraphOperation.UploadRange, GraphFault.ExpireSession);

        var expired = await PutAsync(uploadUrl, 5, 9, 10, null);
        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        Assert.Equal("ErrorItemNotFound", await ErrorCodeAsync(expired));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(uploadUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PutAsync(uploadUrl, 5, 9, 10, null)).StatusCode);

        // The expired session's bytes are no attachment and do not hold up the send; a new session starts at byte 0.
        var again = await CreateUploadSessionAsync(id, size: 10, token);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(again, 0, 4, 10, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(again, 5, 9, 10, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"v1.0/users/a@contoso.test/messages/{id}/send", string.Empty, token)).StatusCode);
        Assert.Single(Assert.Single(endpoint.Sent).Attachments);
        Assert.Empty(endpoint.Violations);
    }

    [Fact]
    public async Task ALastRangeWhoseAnswerIsLostStillCompletesTheAttachmentWhichTheDraftsAttachmentsList()
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (id, uploadUrl) = await CreateUploadSessionAsync(size: 10, token);
        endpoint.ScriptUploadAnswerLost(afterRanges: 1);
        var attachments = $"v1.0/users/a@contoso.test/messages/{id}/attachments?$select=name,size";
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(uploadUrl, 0, 4, 10, null)).StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await GetAsync(attachments, token)).RootElement.GetProperty("value").GetArrayLength());

        await Assert.ThrowsAsync<HttpRequestException>(() => PutAsync(uploadUrl, 5, 9, 10, null));

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(uploadUrl)).StatusCode);
        var listed = Assert.Single(JsonDocument.Parse(await GetAsync(attachments, token)).RootElement.GetProperty("value").EnumerateArray());
        Assert.Equal("big.bin", listed.GetProperty("name").GetString());
        Assert.Equal(10, listed.GetProperty("size").GetInt64());
        Assert.StartsWith("AAMkAttachment", listed.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.False(listed.TryGetProperty("contentType", out _));
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"v1.0/users/a@contoso.test/messages/{id}/send", string.Empty, token)).StatusCode);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, await System.IO.File.ReadAllBytesAsync(Assert.Single(Assert.Single(endpoint.Sent).Attachments).Path));
        Assert.Empty(endpoint.Violations);
    }

    [Fact]
    public async Task AHangingRequestIsLeftUnansweredWhileTheNextOnesAreServed()
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (_, uploadUrl) = await CreateUploadSessionAsync(size: 10, token);
        endpoint.Script(GraphOperation.UploadRange, GraphFault.Hang);
        using var giveUp = new System.Threading.CancellationTokenSource();

        var hanging = PutAsync(uploadUrl, 0, 4, 10, null, giveUp.Token);
        while (!endpoint.Requests.Any(r => r.Method == "PUT"))
        {
            await Task.Delay(10);
        }

        var status = await http.GetAsync(uploadUrl);
        Assert.False(hanging.IsCompleted);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hanging);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Equal("0", JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("nextExpectedRanges")[0].GetString());
        Assert.Equal(new[] { "PUT 0", "GET 200" }, endpoint.Requests.Where(r => r.Path.StartsWith("/upload/", StringComparison.Ordinal)).Select(r => $"{r.Method} {r.Status}"));
    }

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString();

    [Theory]
    [InlineData("{\"name\":\"a.txt\",\"contentBytes\":\"aGk=\"}")]
    [InlineData("{\"@odata.type\":\"#microsoft.graph.itemAttachment\",\"name\":\"a.txt\",\"contentBytes\":\"aGk=\"}")]
    [InlineData("{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"contentBytes\":\"aGk=\"}")]
    [InlineData("{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"name\":\"a.txt\"}")]
    [InlineData("{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"name\":\"a.txt\",\"contentBytes\":\"not base64!\"}")]
    public async Task AnAttachmentPostWithoutTheFileAttachmentTypeANameOrBase64ContentBytesIsRefusedAndNotAttached(string json)
    {
        var token = GraphContractEndpoint.Token(TimeSpan.FromHours(1));
        var (id, _) = await CreateUploadSessionAsync(size: 1, token);

        var refused = await PostJsonAsync($"v1.0/users/a@contoso.test/messages/{id}/attachments", json, token);
        var accepted = await PostJsonAsync($"v1.0/users/a@contoso.test/messages/{id}/attachments", "{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"name\":\"a.txt\",\"contentBytes\":\"aGk=\"}", token);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Single(endpoint.Violations);
        var listed = JsonDocument.Parse(await GetAsync($"v1.0/users/a@contoso.test/messages/{id}/attachments", token)).RootElement.GetProperty("value");
        Assert.Equal(2, Assert.Single(listed.EnumerateArray()).GetProperty("size").GetInt32());
    }

    private async Task<HttpResponseMessage> PostJsonAsync(string path, string json, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl, path))
        {
            Content = new StringContent(body, Encoding.ASCII, "text/plain"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    // A draft with an upload session for a file of `size` bytes: the draft's id and the session's uploadUrl.
    private async Task<(string DraftId, Uri UploadUrl)> CreateUploadSessionAsync(long size, string token)
    {
        var draft = await PostAsync("v1.0/users/a@contoso.test/messages", Convert.ToBase64String(Encoding.ASCII.GetBytes(Mime)), token);
        Assert.Equal(HttpStatusCode.Created, draft.StatusCode);
        var id = JsonDocument.Parse(await draft.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        return (id, await CreateUploadSessionAsync(id, size, token));
    }

    // Another upload session on the draft `id`: its uploadUrl.
    private async Task<Uri> CreateUploadSessionAsync(string id, long size, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl, $"v1.0/users/a@contoso.test/messages/{id}/attachments/createUploadSession"))
        {
            Content = new StringContent($$$"""{"AttachmentItem":{"attachmentType":"file","name":"big.bin","size":{{{size}}}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var session = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, session.StatusCode);
        return new Uri(JsonDocument.Parse(await session.Content.ReadAsStringAsync()).RootElement.GetProperty("uploadUrl").GetString()!);
    }

    private async Task<string> GetAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.BaseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<HttpResponseMessage> DeleteAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(endpoint.BaseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PutAsync(Uri url, long start, long end, long total, string? token, System.Threading.CancellationToken cancellationToken = default)
    {
        var bytes = Enumerable.Range((int)start, (int)(end - start + 1)).Select(i => (byte)i).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentRange = new ContentRangeHeaderValue(start, end, total);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request, cancellationToken);
    }
}
