namespace SmtpOps.Messages;

/// <summary>
/// The priority of a message; the same names as System.Net.Mail.MailPriority so that
/// scripts written for Send-MailMessage keep working.
/// </summary>
public enum MessagePriority
{
    /// <summary>Normal priority (no priority headers are written).</summary>
    Normal = 0,

    /// <summary>Low priority.</summary>
    Low = 1,

    /// <summary>High priority.</summary>
    High = 2,
}
