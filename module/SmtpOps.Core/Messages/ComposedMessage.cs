using System;
using MimeKit;
using SmtpOps.Smime;

namespace SmtpOps.Messages;

/// <summary>
/// A validated, composed message, handed from <see cref="MessageComposer.Prepare"/> to
/// <see cref="Smtp.SmtpSubmitter"/> without exposing MimeKit: callers that load SmtpOps.Core into
/// their own load context (the PowerShell module) then never bind to MimeKit themselves.
/// Dispose it: it holds the attachment files open.
/// </summary>
public sealed class ComposedMessage : IDisposable
{
    internal ComposedMessage(MimeMessage message, DeliveryNotification deliveryNotification, string senderAddress)
    {
        Message = message;
        DeliveryNotification = deliveryNotification;
        SenderAddress = senderAddress;
    }

    /// <summary>Gets the Message-ID.</summary>
    public string MessageId => Message.MessageId ?? string.Empty;

    /// <summary>Gets the sender's address (without display name).</summary>
    public string SenderAddress { get; }

    /// <summary>Gets the delivery status notifications to request.</summary>
    public DeliveryNotification DeliveryNotification { get; }

    /// <summary>Gets the S/MIME protection applied by <see cref="SmimeProtector.Apply"/>, or <c>null</c> when none was.</summary>
    public SmimeProtection? Smime { get; internal set; }

    internal MimeMessage Message { get; }

    /// <summary>Closes the attachment files.</summary>
    public void Dispose() => Message.Dispose();
}
