using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpOps.Relay.Tests;

/// <summary>Asserts that log lines carry the SMTP transcript at Debug but no secret in any form a log could show it.</summary>
public static class Secrets
{
    public static void AssertNotLogged(IEnumerable<string> lines, string user, string secret, bool isToken = false)
    {
        var forms = new List<string> { secret, Base64(secret), Base64($"\0{user}\0{secret}") };
        if (isToken)
        {
            forms.Add(Base64($"user={user}\u0001auth=Bearer {secret}\u0001\u0001"));
        }

        var snapshot = lines.ToList();
        Assert.NotEmpty(snapshot);
        var leaks = snapshot.Where(line => forms.Any(form => line.Contains(form, StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} log line(s) carry the secret, e.g. a line of {leaks.FirstOrDefault()?.Length} characters");

        // The Debug transcript is there (console "dbug:" or provider "Debug:"), with its AUTH command redacted.
        Assert.Contains(snapshot, line => (line.Contains("dbug: ", StringComparison.Ordinal) || line.StartsWith("Debug: ", StringComparison.Ordinal))
            && line.Contains("SMTP", StringComparison.Ordinal) && line.Contains("AUTH ", StringComparison.Ordinal));
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
