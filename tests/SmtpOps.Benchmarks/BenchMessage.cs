using System.Globalization;

namespace SmtpOps.Benchmarks;

/// <summary>The small message every send benchmark uses, so that each side sends the same bytes.</summary>
internal static class BenchMessage
{
    public const string From = "bench@contoso.example";

    public const string To = "ops@contoso.example";

    public const string Body = "A small benchmark message.";

    public static string Subject(int index) => "Bench " + index.ToString(CultureInfo.InvariantCulture);
}
