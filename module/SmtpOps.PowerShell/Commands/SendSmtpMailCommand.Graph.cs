using System;
using System.Management.Automation;
using System.Security;
using SmtpOps.PowerShell.Transformation;

namespace SmtpOps.PowerShell.Commands;

/// <summary>Send-SmtpMail's Microsoft Graph parameters (the Graph set).</summary>
public sealed partial class SendSmtpMailCommand
{
    /// <summary>Gets or sets a Microsoft Entra access token for Microsoft Graph (Get-AzAccessToken -ResourceUrl https://graph.microsoft.com): sends through Graph instead of SMTP.</summary>
    [Parameter(Mandatory = true, ParameterSetName = GraphSet)]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? GraphAccessToken { get; set; }

    /// <summary>Gets or sets the mailbox to send as through Graph (user principal name or object id); defaults to the -From address.</summary>
    [Parameter(ParameterSetName = GraphSet)]
    [ValidateNotNullOrEmpty]
    public string? GraphMailbox { get; set; }

    /// <summary>Gets or sets the Graph endpoint, https://graph.microsoft.com/ by default (a national cloud has its own).</summary>
    [Parameter(ParameterSetName = GraphSet)]
    [ValidateNotNull]
    public Uri? GraphEndpoint { get; set; }
}
