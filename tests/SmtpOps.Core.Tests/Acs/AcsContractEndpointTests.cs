using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;
using SmtpOps.TestServers.Acs;
using Xunit;

namespace SmtpOps.Tests.Acs;

/// <summary>
/// The ACS contract endpoint itself, driven by hand-written HTTP: it must refuse what a real ACS refuses (and record it),
/// or the transport tests that rely on it could pass against a server that accepts anything.
/// </summary>
public sealed class AcsContractEndpointTests : IAsyncLifetime
{
    private const string Message = """{"senderAddress":"a@contoso.test","content":{"subject":"hi","plainText":"body"},"recipients":{"to":[{"address":"b@fabrikam.test"}]}}""";
    private readonly HttpClient http = new();
    private AcsContractEndpoint endpoint = null!;

    public Task InitializeAsync()
    {
        endpoint = AcsContractEndpoint.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await endpoint.DisposeAsync();
    }

    [Fact]
    public async Task OnlyAWellFormedMessageWithATokenForCommunicationServicesIsSent()
    {
        var token = AcsContractEndpoint.Token(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(Message, token)).StatusCode);
        Assert.Empty(endpoint.Violations);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Message, AcsContractEndpoint.Token(TimeSpan.FromHours(1), "https://graph.microsoft.com"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Message, AcsContractEndpoint.Token(TimeSpan.FromMinutes(-5)))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Message.Replace("\"subject\":\"hi\",", string.Empty, StringComparison.Ordinal), token)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Message.Replace("senderAddress", "sender", StringComparison.Ordinal), token)).StatusCode);
        var fiftyOne = string.Join(",", Enumerable.Range(1, 51).Select(i => $$"""{"address":"u{{i}}@fabrikam.test"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Message.Replace("""[{"address":"b@fabrikam.test"}]""", "[" + fiftyOne + "]", StringComparison.Ordinal), token)).StatusCode);
        var inline = Message.Replace("}}", """}, "attachments":[{"name":"x.png","contentType":"image/png","contentInBase64":"AAAA","contentId":"x"}]}""", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(inline, token, "2023-03-31")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(inline, token, "2025-09-01")).StatusCode);
        var tooLarge = Message.Replace("\"body\"", "\"" + new string('x', AcsContractEndpoint.MaxRequestBytes) + "\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await SendAsync(tooLarge, token)).StatusCode);

        Assert.Equal(7, endpoint.Violations.Count);
        Assert.Equal(2, endpoint.Sent.Count);
    }

    [Fact]
    public async Task AnOperationIdGivenTwiceSendsOnceAndAnswersWithTheSameOperation()
    {
        var token = AcsContractEndpoint.Token(TimeSpan.FromHours(1));
        var id = Guid.NewGuid().ToString();

        var first = await SendAsync(Message, token, operationId: id);
        var second = await SendAsync(Message, token, operationId: id);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Contains(id, await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(id, Assert.Single(endpoint.Sent).OperationId);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Message, token, operationId: "not-a-uuid")).StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string body, string token, string version = "2025-09-01", string? operationId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl, "./emails:send?api-version=" + version)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (operationId is not null)
        {
            request.Headers.TryAddWithoutValidation("Operation-Id", operationId);
        }

        return await http.SendAsync(request);
    }
}
