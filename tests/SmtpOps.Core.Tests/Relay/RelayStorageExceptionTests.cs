using System;
using Azure;
using Azure.Storage.Queues;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Tests.Relay;

/// <summary>
/// What a Storage refusal becomes, by status and error code. Azurite checks no roles, so the RBAC refusal of a real
/// account (403 AuthorizationPermissionMismatch) is tested here on the SDK's own exception.
/// </summary>
public sealed class RelayStorageExceptionTests
{
    private static readonly QueueClient Queue = new(new Uri("https://contosomail.queue.core.windows.net/mail?sv=2024-01-01&sig=SECRET"));

    [Theory]
    [InlineData(403, "AuthorizationPermissionMismatch", RelayStorageFailureKind.PermissionDenied, "the identity lacks a role (403 AuthorizationPermissionMismatch): grant it Storage Queue Data Message Sender")]
    [InlineData(403, "AuthorizationFailure", RelayStorageFailureKind.PermissionDenied, "the credentials lack the permission (403 AuthorizationFailure)")]
    [InlineData(403, "AuthenticationFailed", RelayStorageFailureKind.AuthenticationFailed, "the service did not accept the credentials")]
    [InlineData(401, "InvalidAuthenticationInfo", RelayStorageFailureKind.AuthenticationFailed, "the service did not accept the credentials")]
    [InlineData(404, "QueueNotFound", RelayStorageFailureKind.NotFound, "the queue does not exist (404 QueueNotFound)")]
    [InlineData(0, null, RelayStorageFailureKind.Unreachable, "could not be reached")]
    public void ARefusalIsClassifiedAndSaysWhatToDoWithoutTheSignature(int status, string? errorCode, RelayStorageFailureKind kind, string expected)
    {
        var failure = new RequestFailedException(status, "Storage said no.", errorCode, null);

        var exception = RelayStorageException.FromRequest(Queue, "enqueue on queue 'mail'", "the queue does not exist", failure, 3, TimeSpan.FromSeconds(1.5), failure);

        Assert.Equal(kind, exception.Kind);
        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
        Assert.Contains("3 tries in 1.5 s", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", exception.Message, StringComparison.Ordinal);
        Assert.Equal("https://contosomail.queue.core.windows.net/mail", exception.Endpoint);
    }
}
