using System;
using System.Management.Automation;
using System.Security;
using SmtpOps.PowerShell.Transformation;

namespace SmtpOps.PowerShell.Commands;

/// <summary>Send-SmtpMail's relay-queue parameters (the Relay, RelayAccessToken and RelayAccountName sets).</summary>
public sealed partial class SendSmtpMailCommand
{
    /// <summary>Gets or sets the relay queue to enqueue to instead of sending over SMTP.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RelaySet)]
    [Parameter(Mandatory = true, ParameterSetName = RelayAccountSet)]
    [ValidateNotNullOrEmpty]
    public string? RelayQueue { get; set; }

    /// <summary>Gets or sets the Storage connection string (account key or SAS) of the relay queue.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RelaySet)]
    [ValidateNotNullOrEmpty]
    public string? RelayConnectionString { get; set; }

    /// <summary>Gets or sets the relay queue's URI, for a Storage account reached with a Microsoft Entra token (shared keys disabled).</summary>
    [Parameter(Mandatory = true, ParameterSetName = RelayTokenSet)]
    [ValidateNotNull]
    public Uri? RelayQueueUri { get; set; }

    /// <summary>Gets or sets the relay's Storage account in Azure's public cloud, reached with -RelayAccessToken (shared keys disabled).</summary>
    [Parameter(Mandatory = true, ParameterSetName = RelayAccountSet)]
    [Alias("StorageAccountName")]
    [ValidatePattern("^[a-z0-9]{3,24}$")]
    public string? RelayAccountName { get; set; }

    /// <summary>Gets or sets a Microsoft Entra access token for Storage (Get-AzAccessToken -ResourceUrl https://storage.azure.com/).</summary>
    [Parameter(Mandatory = true, ParameterSetName = RelayTokenSet)]
    [Parameter(Mandatory = true, ParameterSetName = RelayAccountSet)]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? RelayAccessToken { get; set; }

    /// <summary>Gets or sets the attachment container's URI; derived from an Azure -RelayQueueUri when not given.</summary>
    [Parameter(ParameterSetName = RelayTokenSet)]
    [ValidateNotNull]
    public Uri? RelayContainerUri { get; set; }

    /// <summary>Gets or sets the key that makes the relay send a message at most once; defaults to its Message-ID.</summary>
    [Parameter(ParameterSetName = RelaySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = RelayTokenSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = RelayAccountSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? IdempotencyKey { get; set; }
}
