// Send-SmtpMail in one partial class by concern: this file has the message and SMTP parameters and the pipeline;
// SendSmtpMailCommand.Relay.cs, .Graph.cs, .Acs.cs, .Budget.cs and .Signing.cs (DKIM, S/MIME) hold the other routes' and steps' parameters. The work is elsewhere:
// the routes and the submission steps in Delivery/, TlsParameters, SmimeStep, composing and sending in Core.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using SmtpOps.Acs;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Commands.Delivery;
using SmtpOps.PowerShell.Completion;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.PowerShell.Transformation;
using SmtpOps.Relay;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Sends e-mail through an SMTP server, securely, over one connection for the whole pipeline.</para>
/// <para type="description">A drop-in successor of Send-MailMessage on MailKit.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Send, "SmtpMail", SupportsShouldProcess = true, DefaultParameterSetName = CredentialSet)]
[OutputType(typeof(SmtpSendResult), ParameterSetName = new[] { CredentialSet, AccessTokenSet })]
[OutputType(typeof(RelayEnqueueResult), ParameterSetName = new[] { RelaySet, RelayTokenSet, RelayAccountSet })]
[OutputType(typeof(GraphSendResult), ParameterSetName = new[] { GraphSet })]
[OutputType(typeof(AcsSendResult), ParameterSetName = new[] { AcsTokenSet, AcsKeySet })]
public sealed partial class SendSmtpMailCommand : PSCmdlet, IDisposable
{
    private const string CredentialSet = "Credential";
    private const string AccessTokenSet = "AccessToken";
    private const string RelaySet = "Relay";
    private const string RelayTokenSet = "RelayAccessToken";
    private const string RelayAccountSet = "RelayAccountName";
    private const string GraphSet = "Graph";
    private const string AcsTokenSet = "AcsAccessToken";
    private const string AcsKeySet = "AcsAccessKey";

    private readonly CancellationTokenSource stopping = new();
    private DeliveryRoute? route;
    private SubmissionSteps? steps;

    // Core's enums are stored as int: an enum-typed field would make PowerShell's scan of this assembly
    // (GetExportedTypes, before the module initializer runs) load SmtpOps.Core before the hook that puts
    // it into the module's load context is installed (see Isolation/ModuleInitializer.cs).
    private int priority = (int)MessagePriority.Normal;
    private int deliveryNotification = (int)DeliveryNotification.None;
    private int security = (int)SmtpSecurity.Auto;
    private int revocationMode = (int)CertificateRevocationMode.SoftFail;

    /// <summary>Gets or sets the To recipients.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? To { get; set; }

    /// <summary>Gets or sets the subject.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("sub")]
    [AllowEmptyString]
    public string Subject { get; set; } = string.Empty;

    /// <summary>Gets or sets the body (plain text, or HTML with -BodyAsHtml).</summary>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? Body { get; set; }

    /// <summary>Gets or sets the SMTP server; defaults to $PSEmailServer.</summary>
    [Parameter(ParameterSetName = CredentialSet, Position = 3)]
    [Parameter(ParameterSetName = AccessTokenSet, Position = 3)]
    [Alias("ComputerName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SmtpServerCompleter))]
    public string? SmtpServer { get; set; }

    /// <summary>Gets or sets the sender.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string From { get; set; } = string.Empty;

    /// <summary>Gets or sets the Cc recipients.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Cc { get; set; }

    /// <summary>Gets or sets the Bcc recipients.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Bcc { get; set; }

    /// <summary>Gets or sets the Reply-To addresses.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ReplyTo { get; set; }

    /// <summary>Gets or sets whether -Body is HTML.</summary>
    [Parameter]
    [Alias("BAH")]
    public SwitchParameter BodyAsHtml { get; set; }

    /// <summary>Gets or sets an HTML body; with a plain -Body too the message carries both (multipart/alternative).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? HtmlBody { get; set; }

    /// <summary>Gets or sets the files to attach (streamed, never loaded into memory).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PsPath", "Attachment")]
    [ValidateNotNullOrEmpty]
    public string[]? Attachments { get; set; }

    /// <summary>Gets or sets inline images: content id to file, referenced in HTML as cid:id.</summary>
    [Parameter]
    [Alias("InlineImage")]
    public IDictionary? InlineAttachments { get; set; }

    /// <summary>Gets or sets additional header fields.</summary>
    [Parameter]
    [Alias("Header")]
    public IDictionary? Headers { get; set; }

    /// <summary>Gets or sets the priority.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public MessagePriority Priority { get => (MessagePriority)priority; set => priority = (int)value; }

    /// <summary>Gets or sets the delivery status notifications to request (best effort).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Alias("DNO")]
    public DeliveryNotification DeliveryNotificationOption { get => (DeliveryNotification)deliveryNotification; set => deliveryNotification = (int)value; }

    /// <summary>Gets or sets the body encoding (UTF-8 by default).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Alias("BE")]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding Encoding { get; set; } = new UTF8Encoding(false);

    /// <summary>Gets or sets the port; default 465 with -Security SslOnConnect, otherwise 25.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>Gets or sets Send-MailMessage's -UseSsl: STARTTLS required (implicit TLS on port 465).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    public SwitchParameter UseSsl { get; set; }

    /// <summary>Gets or sets how the connection is secured.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Alias("SecureSocketOptions")]
    public SmtpSecurity Security { get => (SmtpSecurity)security; set => security = (int)value; }

    /// <summary>Gets or sets the credential for AUTH.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>Gets or sets an OAuth2 access token, sent with XOAUTH2.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AccessTokenSet)]
    [Alias("Token")]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? AccessToken { get; set; }

    /// <summary>Gets or sets the mailbox the access token belongs to; defaults to the -From address.</summary>
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>Gets or sets whether credentials may be sent over a connection without TLS.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    public SwitchParameter AllowUnencryptedAuthentication { get; set; }

    /// <summary>Gets or sets whether the server certificate is accepted without validation.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Gets or sets pinned certificate thumbprints (SHA-1 or SHA-256).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string[]? CertificateThumbprint { get; set; }

    /// <summary>Gets or sets extra root certificates to trust for this server (an internal CA), as objects or file paths.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    [CertificateFileTransformation]
    public X509Certificate2[]? TrustedRootCertificate { get; set; }

    /// <summary>Gets or sets what to do about certificate revocation: SoftFail (default), Strict or NoCheck.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    public CertificateRevocationMode RevocationMode { get => (CertificateRevocationMode)revocationMode; set => revocationMode = (int)value; }

    /// <summary>Gets or sets the network timeout in seconds.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [Alias("TimeoutSec")]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 100;

    /// <summary>Gets or sets the name sent in EHLO.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? HeloName { get; set; }

    /// <summary>Gets or sets how often a transient failure is retried.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateRange(0, 10)]
    public int MaximumRetryCount { get; set; } = 2;

    /// <summary>
    /// Gets or sets how many connections a pipeline of messages is spread over (default 1). Results and
    /// errors still come one per input, in input order.
    /// </summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateRange(1, 16)]
    public int ConnectionCount { get; set; } = 1;

    /// <summary>Gets or sets the wait before the first retry in seconds; it doubles for each further retry.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [Parameter(ParameterSetName = GraphSet)]
    [Parameter(ParameterSetName = AcsTokenSet)]
    [Parameter(ParameterSetName = AcsKeySet)]
    [ValidateRange(0, 600)]
    public int RetryIntervalSec { get; set; } = 1;

    /// <summary>Gets or sets a file that receives the SMTP dialogue, AUTH redacted.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? TranscriptPath { get; set; }

    /// <summary>Gets or sets whether a result object is written for every message sent.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Chooses the delivery route from the parameter set; nothing connects until the first message.</summary>
    protected override void BeginProcessing()
    {
        var output = new DeliveryOutput(this, PassThru);
        var smime = SmimeStep.FromParameters(this, SigningCertificate, SigningCertificatePath, SigningCertificatePassword, Signature, MyInvocation.BoundParameters.ContainsKey(nameof(Signature)), EncryptionCertificate, EncryptTo);
        route = ParameterSetName switch
        {
            RelaySet => RelayQueueRoute.FromConnectionString(output, RelayConnectionString!, RelayQueue!, () => IdempotencyKey, stopping.Token),
            RelayTokenSet => RelayQueueRoute.FromAccessToken(output, RelayQueueUri!, CredentialParameters.Unwrap(RelayAccessToken!), RelayContainerUri, byAccountName: false, () => IdempotencyKey, stopping.Token),
            // The public cloud's endpoints: the container is derived from the queue's host as for -RelayQueueUri.
            RelayAccountSet => RelayQueueRoute.FromAccessToken(output, new Uri(RelayStorage.QueueServiceUri(RelayAccountName!), Uri.EscapeDataString(RelayQueue!)), CredentialParameters.Unwrap(RelayAccessToken!), RelayContainerUri, byAccountName: true, () => IdempotencyKey, stopping.Token),
            AcsTokenSet or AcsKeySet => new AcsRoute(output, AcsEndpoint!, AcsAccessToken, AcsAccessKey, TimeSpan.FromSeconds(Timeout), BuildRetryPolicy(), stopping.Token),
            GraphSet => new GraphRoute(output, GraphMailbox, GraphEndpoint, GraphAccessToken!, TimeSpan.FromSeconds(Timeout), BuildRetryPolicy(), stopping.Token),
            _ => new SmtpRoute(output, BuildConnection(), Credential, AccessToken, UserName, ConnectionCount, stopping.Token),
        };
        route.Budget = BuildBudget();
        steps = new SubmissionSteps(smime, BuildDkimSigner());
    }

    /// <summary>Validates and sends one message per pipeline object (or one for a plain call).</summary>
    protected override void ProcessRecord()
    {
        var definition = BuildDefinition();
        // Composed through Core's opaque ComposedMessage: this assembly never binds to MimeKit itself.
        ComposedMessage message;
        try
        {
            message = MessageComposer.Prepare(definition);
        }
        catch (MessageValidationException ex)
        {
            route!.Output.Failed(SmtpErrorRecords.FromValidation(ex));
            return;
        }

        // The route owns the message once handed over (it disposes it when sent or given up).
        var handedOver = false;
        try
        {
            var recipients = string.Join(", ", definition.To.Concat(definition.Cc).Concat(definition.Bcc));
            if (!ShouldProcess($"'{definition.Subject}' to {recipients}", route!.DescribeAction(message)))
            {
                return;
            }

            // Compose -> S/MIME (sign, then encrypt) -> DKIM, the very last change before the route submits it as is.
            if (!steps!.Apply(message, route.Output))
            {
                return;
            }

            handedOver = true;
            route.Deliver(message, definition);
        }
        finally
        {
            if (!handedOver)
            {
                message.Dispose();
            }
        }
    }

    /// <summary>Says QUIT (or waits for the pool's last messages) and closes the progress line.</summary>
    protected override void EndProcessing()
    {
        route!.Complete();
        route.Output.Complete();
    }

    /// <summary>Ctrl+C: cancels the message in flight.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Closes the connection if it is still open and releases the cancellation source.</summary>
    public void Dispose()
    {
        route?.Budget?.Dispose();
        route?.Dispose();
        stopping.Dispose();
    }

    // -MaximumRetryCount and -RetryIntervalSec, for SMTP, Graph and ACS alike: the wait doubles up to 10 minutes.
    private RetryPolicy BuildRetryPolicy() => new() { MaxRetries = MaximumRetryCount, InitialDelay = TimeSpan.FromSeconds(RetryIntervalSec), MaxDelay = TimeSpan.FromSeconds(600) };

    private SmtpConnectionOptions BuildConnection()
    {
        var server = SmtpServer ?? SessionState.PSVariable.GetValue("PSEmailServer") as string;
        if (string.IsNullOrWhiteSpace(server))
        {
            ThrowTerminatingError(SmtpErrorRecords.Terminating("NoSmtpServer", ErrorCategory.InvalidArgument, "No SMTP server is given: use -SmtpServer or set $PSEmailServer.", null));
        }

        var transcript = TranscriptPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TranscriptPath);
        var connection = new SmtpConnectionOptions
        {
            Host = server!,
            Port = Port,
            Tls = TlsParameters.ToPolicy(
                this,
                TlsParameters.ResolveSecurity(Security, MyInvocation.BoundParameters.ContainsKey(nameof(Security)), UseSsl, Port),
                SkipCertificateCheck,
                CertificateThumbprint,
                TrustedRootCertificate,
                RevocationMode,
                AllowUnencryptedAuthentication),
            Timeout = TimeSpan.FromSeconds(Timeout),
            HeloName = HeloName,
            Retry = BuildRetryPolicy(),
            TranscriptPath = transcript,
        };
        try
        {
            connection.Validate();
        }
        catch (MessageValidationException ex)
        {
            ThrowTerminatingError(SmtpErrorRecords.FromValidation(ex));
        }

        return connection;
    }

    private MailMessageDefinition BuildDefinition()
    {
        var attachments = new List<MailAttachment>();
        foreach (var path in Attachments ?? Array.Empty<string>())
        {
            attachments.Add(new MailAttachment(ResolvePath(path)));
        }

        if (InlineAttachments is not null)
        {
            foreach (DictionaryEntry entry in InlineAttachments)
            {
                attachments.Add(new MailAttachment(ResolvePath(LanguagePrimitives.ConvertTo<string>(entry.Value)), LanguagePrimitives.ConvertTo<string>(entry.Key)));
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Headers is not null)
        {
            foreach (DictionaryEntry entry in Headers)
            {
                headers[LanguagePrimitives.ConvertTo<string>(entry.Key)] = LanguagePrimitives.ConvertTo<string>(entry.Value);
            }
        }

        return new MailMessageDefinition
        {
            From = From,
            To = To ?? Array.Empty<string>(),
            Cc = Cc ?? Array.Empty<string>(),
            Bcc = Bcc ?? Array.Empty<string>(),
            ReplyTo = ReplyTo ?? Array.Empty<string>(),
            Subject = Subject,
            TextBody = BodyAsHtml ? null : Body,
            HtmlBody = BodyAsHtml ? Body : HtmlBody,
            Attachments = attachments,
            Headers = headers,
            Priority = Priority,
            BodyEncoding = Encoding,
            DeliveryNotification = DeliveryNotificationOption,
        };
    }

    private string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
