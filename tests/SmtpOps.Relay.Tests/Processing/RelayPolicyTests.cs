using SmtpOps.Relay.Processing;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>What the relay agrees to send: allowed senders, recipient and size limits.</summary>
public sealed class RelayPolicyTests
{
    [Theory]
    [InlineData("reports@contoso.test", "reports@contoso.test", true)]
    [InlineData("REPORTS@contoso.test", "reports@contoso.test", true)]
    [InlineData("contoso.test", "anyone@contoso.test", true)]
    [InlineData("@contoso.test", "anyone@contoso.test", true)]
    [InlineData("contoso.test", "ceo@evil-contoso.test", false)]
    [InlineData("reports@contoso.test", "ceo@contoso.test", false)]
    public void PolicyAllowsOnlyListedSenders(string allowed, string sender, bool accepted)
    {
        var policy = new RelayPolicy { AllowedSenders = new[] { allowed } };

        var verdict = policy.Check(new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = sender, To = new[] { "x@y.test" } });

        Assert.Equal(accepted, verdict is null);
    }

    [Fact]
    public void PolicyWithoutAllowListRefusesEverythingAndLimitsRecipientsAndSize()
    {
        var envelope = new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "1@x.test", "2@x.test", "3@x.test" } };

        Assert.Contains("no allowed senders", new RelayPolicy().Check(envelope));
        Assert.Contains("3 recipients exceed the limit of 2", new RelayPolicy { AllowedSenders = new[] { "contoso.test" }, MaxRecipients = 2 }.Check(envelope));
        Assert.Contains("over the limit", new RelayPolicy { AllowedSenders = new[] { "contoso.test" }, MaxMessageBytes = 10 }.Check(new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "b@x.test" }, TextBody = new string('x', 11) }));
    }
}
