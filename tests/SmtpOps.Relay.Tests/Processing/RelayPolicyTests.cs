using SmtpOps.Relay.Processing;
using Xunit;

namespace SmtpOps.Relay.Tests.Processing;

/// <summary>What the relay agrees to send: allowed senders, recipient and size limits, judged on what will be sent.</summary>
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

        var verdict = policy.Check(new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = sender, To = new[] { "x@y.test" } }, 0, out var checkedSender);

        Assert.Equal(accepted, verdict is null);
        Assert.Equal(sender, checkedSender);
    }

    [Fact]
    public void PolicyWithoutAllowListRefusesEverythingAndLimitsRecipientsAndSize()
    {
        var envelope = new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "1@x.test", "2@x.test", "3@x.test" } };
        var allowed = new RelayPolicy { AllowedSenders = new[] { "contoso.test" }, MaxRecipients = 2, MaxMessageBytes = 10 };

        Assert.Contains("no allowed senders", new RelayPolicy().Check(envelope, 0, out _));
        Assert.Contains("3 recipients exceed the limit of 2", allowed.Check(envelope, 0, out _));
        Assert.Contains("over the limit", allowed.Check(new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "b@x.test" } }, 11, out _));
        Assert.Null(allowed.Check(new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "b@x.test" } }, 10, out _));
    }

    [Fact]
    public void EveryMailboxOfAnEntryIsOneRecipient()
    {
        // One To entry holding five addresses is five RCPTs, not one.
        var envelope = new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "1@x.test, 2@x.test, 3@x.test, 4@x.test, 5@x.test" } };

        Assert.Contains("5 recipients exceed the limit of 2", new RelayPolicy { AllowedSenders = new[] { "contoso.test" }, MaxRecipients = 2 }.Check(envelope, 0, out _));
    }

    [Fact]
    public void AnEntryThatIsNoAddressIsRefusedAndQuotedOnOneLine()
    {
        var envelope = new RelayEnvelope { Id = "e", IdempotencyKey = "k", From = "a@contoso.test", To = new[] { "b@x.test>\r\nRCPT TO:<c@evil.test" } };

        var verdict = new RelayPolicy { AllowedSenders = new[] { "contoso.test" } }.Check(envelope, 0, out _);

        Assert.NotNull(verdict);
        Assert.DoesNotContain('\r', verdict);
        Assert.DoesNotContain('\n', verdict);
    }
}
