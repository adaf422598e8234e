using SmtpOps.Messages;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>MessageComposer.Prepare: the MimeKit-free handle the PowerShell module sends through.</summary>
public sealed class ComposedMessageTests
{
    [Fact]
    public void PrepareComposesTheSameMessageAndKeepsWhatTheSenderNeeds()
    {
        var definition = new MailMessageDefinition
        {
            From = "Reports <reports@contoso.test>",
            To = new[] { "ops@contoso.test" },
            Subject = "Prepared",
            TextBody = "Plain",
            DeliveryNotification = DeliveryNotification.OnFailure,
        };

        using var prepared = MessageComposer.Prepare(definition);

        Assert.Equal("reports@contoso.test", prepared.SenderAddress);
        Assert.Equal(DeliveryNotification.OnFailure, prepared.DeliveryNotification);
        Assert.Equal(prepared.Message.MessageId, prepared.MessageId);
        Assert.Equal("Prepared", prepared.Message.Subject);
    }

    [Fact]
    public void PrepareRefusesWhatComposeRefuses()
    {
        var definition = new MailMessageDefinition { From = "reports@contoso.test", To = new[] { "not-an-address" }, Subject = "Bad" };

        var failure = Assert.Throws<MessageValidationException>(() => MessageComposer.Prepare(definition));

        Assert.Equal(MessageValidationError.InvalidAddress, failure.Error);
    }
}
