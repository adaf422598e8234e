using System;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Tests.Relay;

/// <summary>Where a relay queue's attachments go, for a client addressed by URI.</summary>
public sealed class RelayStorageTests
{
    [Theory]
    [InlineData("https://contoso.queue.core.windows.net/mail", "https://contoso.blob.core.windows.net/mail-attachments")]
    [InlineData("https://contoso.queue.core.usgovcloudapi.net/mail?sv=x", "https://contoso.blob.core.usgovcloudapi.net/mail-attachments")]
    [InlineData("https://127.0.0.1:10001/devstoreaccount1/mail", null)]
    [InlineData("https://contoso.queue.core.windows.net/", null)]
    public void TheContainerOfAnAzureQueueUriIsOnTheSameAccountsBlobEndpoint(string queue, string? expected)
        => Assert.Equal(expected, RelayStorage.AttachmentContainerUri(new Uri(queue))?.ToString());

    [Theory]
    [InlineData("https://contoso.queue.core.windows.net", "table", "https://contoso.table.core.windows.net/")]
    [InlineData("https://contoso.queue.core.chinacloudapi.cn/mail?sv=x", "blob", "https://contoso.blob.core.chinacloudapi.cn/")]
    [InlineData("https://127.0.0.1:10001/devstoreaccount1", "table", null)]
    [InlineData("https://relay.contoso.com/", "blob", null)]
    public void AnAzureQueueServiceNamesItsAccountsOtherServices(string queueService, string service, string? expected)
        => Assert.Equal(expected, RelayStorage.SiblingServiceUri(new Uri(queueService), service)?.ToString());

    [Fact]
    public void AnAccountNameIsThePublicCloudsQueueService()
        => Assert.Equal("https://contosomail.queue.core.windows.net/", RelayStorage.QueueServiceUri("contosomail").ToString());
}
