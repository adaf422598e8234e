using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace SmtpOps.PowerShell.Completion;

/// <summary>Completes -SmtpServer with $PSEmailServer and the well-known submission smarthosts.</summary>
public sealed class SmtpServerCompleter : IArgumentCompleter
{
    private static readonly (string Host, string Description)[] KnownServers =
    {
        ("smtp.office365.com", "Exchange Online / Microsoft 365 (587, STARTTLS, OAuth2)"),
        ("smtp-mail.outlook.com", "Outlook.com (587, STARTTLS)"),
        ("smtp.gmail.com", "Gmail / Google Workspace (587 STARTTLS or 465)"),
        ("smtp-relay.gmail.com", "Google Workspace SMTP relay"),
        ("smtp.sendgrid.net", "Twilio SendGrid (587 or 465)"),
        ("smtp.azurecomm.net", "Azure Communication Services Email (587)"),
        ("smtp.mailgun.org", "Mailgun (587 or 465)"),
    };

    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var candidates = new List<(string Host, string Description)>();
        using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
        {
            var configured = ps.AddScript("$PSEmailServer").Invoke().FirstOrDefault()?.BaseObject as string;
            if (!string.IsNullOrEmpty(configured))
            {
                candidates.Add((configured!, "$PSEmailServer"));
            }
        }

        candidates.AddRange(KnownServers);
        return candidates
            .Where(c => c.Host.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(c => new CompletionResult(c.Host, c.Host, CompletionResultType.ParameterValue, c.Description));
    }
}
