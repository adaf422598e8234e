using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Completion;
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
public sealed class SendSmtpMailCommand : PSCmdlet, IDisposable
{
    private const string CredentialSet = "Credential";
    private const string AccessTokenSet = "AccessToken";
    private const string RelaySet = "Relay";
    private const string RelayTokenSet = "RelayAccessToken";
    private const string RelayAccountSet = "RelayAccountName";
    private const string GraphSet = "Graph";

    private readonly CancellationTokenSource stopping = new();
    private readonly Stopwatch progressClock = new();
    private SmtpSubmitter? submitter;
    private ParallelSmtpSubmitter? pool;
    private SmtpRelayClient? relay;
    private GraphTransport? graph;
    private SmtpConnectionOptions? connection;
    private int sent;
    private int failed;

    // Core's enums are stored as int: an enum-typed field would make PowerShell's scan of this assembly
    // (GetExportedTypes, before the module initializer runs) load SmtpOps.Core before the hook that puts
    // it into the module's load context is installed (see Isolation/ModuleInitializer.cs).
    private int priority = (int)MessagePriority.Normal;
    private int deliveryNotification = (int)DeliveryNotification.None;
    private int security = (int)SmtpSecurity.Auto;
    private int revocationMode = (int)CertificateRevocationMode.SoftFail;
    private readonly HashSet<string> certificatesWarnedAbout = new(StringComparer.OrdinalIgnoreCase);

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
    [ValidateRange(0, 600)]
    public int RetryIntervalSec { get; set; } = 1;

    /// <summary>Gets or sets a file that receives the SMTP dialogue, AUTH redacted.</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Parameter(ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? TranscriptPath { get; set; }

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

    /// <summary>Gets or sets whether a result object is written for every message sent.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Builds the connection settings; nothing connects until the first message.</summary>
    protected override void BeginProcessing()
    {
        progressClock.Start();
        if (ParameterSetName == RelaySet)
        {
            try
            {
                relay = SmtpRelayClient.Create(RelayConnectionString!, RelayQueue!);
            }
            catch (RelayStorageException ex)
            {
                ThrowTerminatingError(SmtpErrorRecords.RelayFailure(ex));
                return;
            }

            relay.Enqueuer = $"{Environment.UserName}@{Environment.MachineName} (Send-SmtpMail)";
            return;
        }

        if (ParameterSetName == RelayAccountSet)
        {
            // The public cloud's endpoints: the container is derived from the queue's host as for -RelayQueueUri.
            RelayQueueUri = new Uri(RelayStorage.QueueServiceUri(RelayAccountName!), Uri.EscapeDataString(RelayQueue!));
        }

        if (ParameterSetName is RelayTokenSet or RelayAccountSet)
        {
            try
            {
                relay = SmtpRelayClient.Create(RelayQueueUri!, CredentialParameters.Unwrap(RelayAccessToken!), RelayContainerUri);
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "RelayContainerUriRequired", ErrorCategory.InvalidArgument, RelayQueueUri)
                {
                    ErrorDetails = new ErrorDetails(ex.Message.Split('\n')[0].Trim()) { RecommendedAction = "Give -RelayContainerUri (the '<queue>-attachments' container of the same account)." },
                });
                return;
            }

            relay.Enqueuer = $"{Environment.UserName}@{Environment.MachineName} (Send-SmtpMail)";
            return;
        }

        if (ParameterSetName == GraphSet)
        {
            var endpoint = GraphEndpoint ?? GraphTransportOptions.PublicCloud;
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && !endpoint.IsLoopback))
            {
                ThrowTerminatingError(SmtpErrorRecords.Terminating("InvalidGraphEndpoint", ErrorCategory.InvalidArgument, $"-GraphEndpoint must be an https URL such as https://graph.microsoft.com/, not '{endpoint}'.", endpoint));
            }

            return;
        }

        var server = SmtpServer ?? SessionState.PSVariable.GetValue("PSEmailServer") as string;
        if (string.IsNullOrWhiteSpace(server))
        {
            ThrowTerminatingError(SmtpErrorRecords.Terminating("NoSmtpServer", ErrorCategory.InvalidArgument, "No SMTP server is given: use -SmtpServer or set $PSEmailServer.", null));
        }

        connection = new SmtpConnectionOptions
        {
            Host = server!,
            Port = Port,
            Tls = new SmtpTlsPolicy
            {
                Security = ResolveSecurity(),
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
                SkipCertificateCheck = SkipCertificateCheck,
                CertificateThumbprints = CertificateThumbprint ?? Array.Empty<string>(),
                TrustedRoots = TrustedRootCertificate ?? Array.Empty<X509Certificate2>(),
                RevocationMode = RevocationMode,
            },
            Timeout = TimeSpan.FromSeconds(Timeout),
            HeloName = HeloName,
            Retry = new RetryPolicy { MaxRetries = MaximumRetryCount, InitialDelay = TimeSpan.FromSeconds(RetryIntervalSec), MaxDelay = TimeSpan.FromSeconds(600) },
            TranscriptPath = TranscriptPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TranscriptPath),
        };
        if (connection.Tls.FindConflict() is { } conflict)
        {
            ThrowTerminatingError(SmtpErrorRecords.ConflictingCertificateOptions(conflict, CertificateThumbprint));
        }

        try
        {
            connection.Validate();
        }
        catch (MessageValidationException ex)
        {
            ThrowTerminatingError(SmtpErrorRecords.FromValidation(ex));
        }
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
            failed++;
            WriteError(SmtpErrorRecords.FromValidation(ex));
            return;
        }

        // With -ConnectionCount the pool owns the message once posted (it disposes it after sending).
        var posted = false;
        try
        {
            var recipients = string.Join(", ", definition.To.Concat(definition.Cc).Concat(definition.Bcc));
            var action = ParameterSetName == GraphSet ? $"Send mail as {GraphMailbox ?? message.SenderAddress} via Microsoft Graph ({(GraphEndpoint ?? GraphTransportOptions.PublicCloud).Host})"
                : relay is null ? $"Send mail via {connection!.Host}:{connection.EffectivePort}"
                : $"Enqueue mail on relay queue '{RelayQueueUri?.ToString() ?? RelayQueue}'";
            if (!ShouldProcess($"'{definition.Subject}' to {recipients}", action))
            {
                return;
            }

            if (relay is not null)
            {
                Enqueue(definition);
                return;
            }

            if (ParameterSetName == GraphSet)
            {
                SendThroughGraph(message, definition);
                return;
            }

            if (ConnectionCount > 1)
            {
                pool ??= new ParallelSmtpSubmitter(WithCredential(message), ConnectionCount);
                posted = true;
                PostToPool(message, definition);
                return;
            }

            SmtpSendResult result;
            try
            {
                // The OAuth2 mailbox defaults to the sender of the first message.
                submitter ??= new SmtpSubmitter(WithCredential(message));
                // Blocking I/O on the pipeline thread: waiting on SendAsync here cost a thread-pool
                // hand-off per server reply and a spinning waiter (most of the time per message).
                result = submitter.Send(message, stopping.Token);
            }
            catch (SmtpSubmissionException ex)
            {
                failed++;
                var record = SmtpErrorRecords.FromSubmission(ex, definition, $"{connection!.Host}:{connection.EffectivePort}");
                if (SmtpErrorRecords.EndsPipeline(ex))
                {
                    ThrowTerminatingError(record);
                }

                WriteError(record);
                return;
            }

            WriteSent(result);
        }
        finally
        {
            if (!posted)
            {
                message.Dispose();
            }
        }
    }

    private SmtpConnectionOptions WithCredential(ComposedMessage message) => connection! with
    {
        Credential = CredentialParameters.ToSmtpCredential(Credential, AccessToken, UserName ?? message.SenderAddress),
    };

    private void WriteSent(SmtpSendResult result)
    {
        sent++;
        WarnAboutCertificate(result.Certificate);
        foreach (var rejected in result.Rejected)
        {
            WriteError(SmtpErrorRecords.RecipientRejected(rejected));
        }

        if (PassThru)
        {
            WriteObject(result);
        }

        WriteSendProgress(result.Subject);
    }

    // -ConnectionCount N: Core's pool sends on its own threads; every outcome is written here, on the
    // pipeline thread, in input order. At most 2N messages wait composed (attachments open) at any time.
    private void PostToPool(ComposedMessage message, MailMessageDefinition definition)
    {
        pool!.Post(message, definition);
        while (pool.TryTakeNext() is { } ready)
        {
            WriteOutcome(ready);
        }

        while (pool.Pending >= 2 * ConnectionCount && pool.TakeNext(stopping.Token) is { } next)
        {
            WriteOutcome(next);
        }
    }

    private void WriteOutcome(SmtpSubmissionOutcome outcome)
    {
        if (outcome.Result is { } result)
        {
            WriteSent(result);
            return;
        }

        if (outcome.Error is not SmtpSubmissionException ex)
        {
            // Cancelled (Ctrl+C) or a fault: as the single connection would have thrown it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(outcome.Error!).Throw();
            return;
        }

        failed++;
        var record = SmtpErrorRecords.FromSubmission(ex, (MailMessageDefinition)outcome.State!, $"{connection!.Host}:{connection.EffectivePort}");
        if (SmtpErrorRecords.EndsPipeline(ex))
        {
            ThrowTerminatingError(record);
        }

        WriteError(record);
    }

    /// <summary>Says QUIT and closes the connection.</summary>
    protected override void EndProcessing()
    {
        submitter?.Disconnect(stopping.Token);
        if (pool is not null)
        {
            pool.CompleteAdding();
            while (pool.TakeNext(stopping.Token) is { } outcome)
            {
                WriteOutcome(outcome);
            }
        }

        if (sent + failed > 1)
        {
            WriteProgress(new ProgressRecord(1, "Send-SmtpMail", $"{sent} sent, {failed} failed") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Ctrl+C: cancels the message in flight.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Closes the connection if it is still open and releases the cancellation source.</summary>
    public void Dispose()
    {
        submitter?.Dispose();
        graph?.Dispose();
        pool?.Dispose();
        stopping.Dispose();
    }

    private void Enqueue(MailMessageDefinition definition)
    {
        RelayEnqueueResult queued;
        try
        {
            queued = relay!.EnqueueAsync(definition, IdempotencyKey, stopping.Token).GetAwaiter().GetResult();
        }
        catch (MessageValidationException ex)
        {
            failed++;
            WriteError(SmtpErrorRecords.FromValidation(ex));
            return;
        }
        catch (RelayStorageException ex)
        {
            // The queue is the same for every message: if it refuses one, it refuses them all.
            ThrowTerminatingError(SmtpErrorRecords.RelayFailure(ex, accessToken: RelayAccessToken is not null, address: RelayAccountName is null ? "-RelayQueueUri" : "-RelayAccountName"));
            return;
        }

        sent++;
        if (PassThru)
        {
            WriteObject(queued);
        }

        WriteSendProgress(queued.Subject);
    }

    private void SendThroughGraph(ComposedMessage message, MailMessageDefinition definition)
    {
        var mailbox = GraphMailbox ?? message.SenderAddress;
        GraphSendResult result;
        try
        {
            // One transport (one token, one kept-alive connection) for the pipeline; the mailbox defaults to the first sender.
            graph ??= new GraphTransport(new GraphTransportOptions
            {
                Mailbox = mailbox,
                Endpoint = GraphEndpoint ?? GraphTransportOptions.PublicCloud,
                AccessToken = CredentialParameters.Unwrap(GraphAccessToken!),
                Timeout = TimeSpan.FromSeconds(Timeout),
                Retry = new RetryPolicy { MaxRetries = MaximumRetryCount, InitialDelay = TimeSpan.FromSeconds(RetryIntervalSec), MaxDelay = TimeSpan.FromSeconds(600) },
            });
            result = graph.SendAsync(message, stopping.Token).GetAwaiter().GetResult();
        }
        catch (GraphTransportException ex)
        {
            failed++;
            var record = GraphErrorRecords.FromTransport(ex, definition, mailbox);
            if (GraphErrorRecords.EndsPipeline(ex))
            {
                ThrowTerminatingError(record);
            }

            WriteError(record);
            return;
        }

        sent++;
        if (PassThru)
        {
            WriteObject(result);
        }

        WriteSendProgress(result.Subject);
    }

    private SmtpSecurity ResolveSecurity()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Security)) || !UseSsl)
        {
            return Security;
        }

        // Send-MailMessage's -UseSsl is System.Net.Mail's EnableSsl: STARTTLS. On 465 only implicit TLS works.
        return SmtpTlsPolicy.SecurityForUseSsl(Port);
    }

    // Once per certificate and pipeline: mail went encrypted but unvalidated, or its revocation is unknown.
    private void WarnAboutCertificate(ServerCertificateDecision? certificate)
    {
        if (certificate is { WarrantsWarning: true } && certificatesWarnedAbout.Add(certificate.Sha256Thumbprint))
        {
            WriteWarning($"The certificate of {connection!.Host}:{connection.EffectivePort}: {certificate.Reason}. {certificate.Advice}");
        }
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

    private void WriteSendProgress(string subject)
    {
        // Pipelines of many messages get a progress line; refresh it at most every 200 ms.
        if (sent + failed < 2 || progressClock.ElapsedMilliseconds < 200)
        {
            return;
        }

        progressClock.Restart();
        WriteProgress(new ProgressRecord(1, "Send-SmtpMail", $"{sent} sent, {failed} failed") { CurrentOperation = subject });
    }
}
