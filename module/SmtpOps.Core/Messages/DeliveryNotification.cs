using System;

namespace SmtpOps.Messages;

/// <summary>
/// Delivery status notifications (RFC 3461) requested for every recipient. The names and
/// values match System.Net.Mail.DeliveryNotificationOptions. Requests are best effort: they
/// are sent only when the server advertises DSN, and honoured only by servers that implement it.
/// </summary>
[Flags]
public enum DeliveryNotification
{
    /// <summary>No notification is requested; the server applies its own default.</summary>
    None = 0,

    /// <summary>Notify when the message is delivered.</summary>
    OnSuccess = 1,

    /// <summary>Notify when delivery fails.</summary>
    OnFailure = 2,

    /// <summary>Notify when delivery is delayed.</summary>
    Delay = 4,

    /// <summary>Never notify.</summary>
    Never = 134217728,
}
