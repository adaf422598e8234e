using System.Globalization;
using MimeKit;
using MimeKit.Utils;

namespace SmtpOps.Benchmarks;

/// <summary>The small message every send benchmark uses, so that each side sends the same bytes.</summary>
internal static class BenchMessage
{
    public const string From = "bench@contoso.example";

    public const string To = "ops@contoso.example";

    public const string Body = "A small benchmark message.";

    public static string Subject(int index) => "Bench " + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The message as the raw MailKit contenders send it (with a Message-ID, as SmtpOps gives every message).</summary>
    public static MimeMessage Create(int index)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(From));
        message.To.Add(MailboxAddress.Parse(To));
        message.Subject = Subject(index);
        message.MessageId = MimeUtils.GenerateMessageId("contoso.example");
        message.Body = new TextPart("plain") { Text = Body };
        return message;
    }
}
