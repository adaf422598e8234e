using System.Collections.Generic;
using System.Linq;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using SmtpOps.Messages;

namespace SmtpOps.Smtp;

/// <summary>
/// An SmtpClient that records every recipient's answer instead of failing the whole message
/// on the first refused recipient, and requests the configured delivery notifications.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    private readonly List<SmtpRecipientResult> recipients = new();
    private DeliveryNotification notification;

    public RecordingSmtpClient(IProtocolLogger logger)
        : base(logger)
    {
    }

    public IReadOnlyList<SmtpRecipientResult> Recipients => recipients.ToArray();

    public void BeginMessage(DeliveryNotification deliveryNotification)
    {
        recipients.Clear();
        notification = deliveryNotification;
    }

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
        => recipients.Add(new SmtpRecipientResult(mailbox.Address, true, (int)response.StatusCode, response.Response));

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
        => recipients.Add(new SmtpRecipientResult(mailbox.Address, false, (int)response.StatusCode, response.Response));

    protected override void OnNoRecipientsAccepted(MimeMessage message)
    {
        // Throw what MailKit itself throws, so that it keeps the session usable (it resets the
        // transaction); the submitter adds the recorded answers. A single 5xx decides the code:
        // then retrying cannot help every recipient.
        var decisive = recipients.FirstOrDefault(r => r.StatusCode >= 500) ?? recipients.FirstOrDefault();
        throw new SmtpCommandException(
            SmtpErrorCode.RecipientNotAccepted,
            (SmtpStatusCode)(decisive?.StatusCode ?? 550),
            $"The server accepted none of the recipients: {string.Join("; ", recipients)}");
    }

    protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
    {
        if (notification == DeliveryNotification.None)
        {
            return null;
        }

        if (notification.HasFlag(DeliveryNotification.Never))
        {
            return DeliveryStatusNotification.Never;
        }

        var result = default(DeliveryStatusNotification);
        if (notification.HasFlag(DeliveryNotification.OnSuccess))
        {
            result |= DeliveryStatusNotification.Success;
        }

        if (notification.HasFlag(DeliveryNotification.OnFailure))
        {
            result |= DeliveryStatusNotification.Failure;
        }

        if (notification.HasFlag(DeliveryNotification.Delay))
        {
            result |= DeliveryStatusNotification.Delay;
        }

        return result;
    }
}
