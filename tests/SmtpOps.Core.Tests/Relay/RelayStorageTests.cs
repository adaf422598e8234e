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
}
