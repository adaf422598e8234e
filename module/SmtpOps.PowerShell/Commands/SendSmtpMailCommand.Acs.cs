using System;
using System.Management.Automation;
using System.Security;
using SmtpOps.PowerShell.Transformation;

namespace SmtpOps.PowerShell.Commands;

/// <summary>Send-SmtpMail's Azure Communication Services parameters (the AcsAccessToken and AcsAccessKey sets).</summary>
public sealed partial class SendSmtpMailCommand
{
    /// <summary>Gets or sets the Azure Communication Services resource's endpoint (https://&lt;name&gt;.communication.azure.com/): sends through ACS Email instead of SMTP.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AcsTokenSet)]
    [Parameter(Mandatory = true, ParameterSetName = AcsKeySet)]
    [ValidateNotNull]
    public Uri? AcsEndpoint { get; set; }

    /// <summary>Gets or sets a Microsoft Entra access token for Azure Communication Services (Get-AzAccessToken -ResourceUrl https://communication.azure.com).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AcsTokenSet)]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? AcsAccessToken { get; set; }

    /// <summary>Gets or sets the Communication Services resource's access key: requests are signed with HMAC-SHA256; the key never leaves this process.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AcsKeySet)]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? AcsAccessKey { get; set; }
}
