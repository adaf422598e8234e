using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Completion;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.PowerShell.Transformation;
using SmtpOps.Probing;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Probes SMTP servers and reports banner, TLS, certificate, AUTH, recipient and open-relay checks.</para>
/// <para type="description">Sends no message: the recipient and relay tests end with RSET.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SmtpServer", DefaultParameterSetName = CredentialSet)]
[OutputType(typeof(SmtpProbeResult))]
public sealed class TestSmtpServerCommand : PSCmdlet, IDisposable
{
    private const string CredentialSet = "Credential";
    private const string AccessTokenSet = "AccessToken";

    private readonly CancellationTokenSource stopping = new();
    private ConcurrentPipeline<SmtpProbeOptions, SmtpProbeResult>? pipeline;
    private SmtpProbeOptions? template;
    private int finished;

    // Stored as int, not SmtpSecurity: see SendSmtpMailCommand (an enum field would load Core too early).
    private int security = (int)SmtpSecurity.Auto;
    private int revocationMode = (int)CertificateRevocationMode.SoftFail;

    /// <summary>Gets or sets the server to probe; binds the Exchange property of Resolve-MailExchanger output.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Exchange", "HostName", "Host", "Server")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SmtpServerCompleter))]
    public string ComputerName { get; set; } = string.Empty;

    /// <summary>Gets or sets the addresses to connect to instead of resolving the name (binds Resolve-MailExchanger's Addresses).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Addresses")]
    public string[]? IPAddress { get; set; }

    /// <summary>Gets or sets whether every address of the host is probed, not only the first.</summary>
    [Parameter]
    public SwitchParameter AllAddresses { get; set; }

    /// <summary>Gets or sets the port; 465 implies implicit TLS, 587 STARTTLS.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>Gets or sets the security to test.</summary>
    [Parameter]
    [Alias("SecureSocketOptions")]
    public SmtpSecurity Security { get => (SmtpSecurity)security; set => security = (int)value; }

    /// <summary>Gets or sets the name sent in EHLO.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HeloName { get; set; }

    /// <summary>Gets or sets the timeout of each network step, in seconds.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateRange(1, 600)]
    public int Timeout { get; set; } = 30;

    /// <summary>Gets or sets a credential to test AUTH with (nothing is sent).</summary>
    [Parameter(ParameterSetName = CredentialSet)]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>Gets or sets an OAuth2 access token to test XOAUTH2 with.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AccessTokenSet)]
    [Alias("Token")]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? AccessToken { get; set; }

    /// <summary>Gets or sets the mailbox the access token belongs to.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AccessTokenSet)]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>Gets or sets whether any certificate is accepted without validation, as Send-SmtpMail -SkipCertificateCheck would (AUTH is then tried over it).</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Gets or sets extra root certificates to trust (an internal CA), as objects or file paths.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [CertificateFileTransformation]
    public X509Certificate2[]? TrustedRootCertificate { get; set; }

    /// <summary>Gets or sets pinned certificate thumbprints (SHA-1 or SHA-256), judged as Send-SmtpMail judges them.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? CertificateThumbprint { get; set; }

    /// <summary>Gets or sets what to do about certificate revocation: SoftFail (default), Strict or NoCheck.</summary>
    [Parameter]
    public CertificateRevocationMode RevocationMode { get => (CertificateRevocationMode)revocationMode; set => revocationMode = (int)value; }

    /// <summary>Gets or sets the sender for the recipient test (default: the null sender).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? From { get; set; }

    /// <summary>Gets or sets a recipient to test with MAIL/RCPT then RSET.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? To { get; set; }

    /// <summary>Gets or sets whether to test for an open relay (a foreign sender and recipient, then RSET).</summary>
    [Parameter]
    public SwitchParameter TestOpenRelay { get; set; }

    /// <summary>
    /// Gets or sets whether to skip the extra handshakes of the "TLS versions" and "Cipher suites" checks (one connection
    /// per TLS version and per class of weak suites; BouncyCastle's TLS, not the system's).
    /// </summary>
    [Parameter]
    public SwitchParameter SkipTlsScan { get; set; }

    /// <summary>Gets or sets a file that receives the dialogues, AUTH redacted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TranscriptPath { get; set; }

    /// <summary>Gets or sets the days before certificate expiry from which the probe warns.</summary>
    [Parameter]
    [ValidateRange(0, 3650)]
    public int CertificateWarningDays { get; set; } = 30;

    /// <summary>Gets or sets how many endpoints are probed at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 16;

    /// <summary>Prepares the concurrent runner.</summary>
    protected override void BeginProcessing()
    {
        pipeline = new ConcurrentPipeline<SmtpProbeOptions, SmtpProbeResult>(ThrottleLimit);

        // Everything but the endpoint is the same for every pipeline input: build it (and unwrap the secret) once.
        var transcript = TranscriptPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TranscriptPath);
        template = new SmtpProbeOptions
        {
            Port = Port,
            HeloName = HeloName,
            Timeout = TimeSpan.FromSeconds(Timeout),
            Credential = CredentialParameters.ToSmtpCredential(Credential, AccessToken, UserName),
            Tls = TlsParameters.ToPolicy(this, Security, SkipCertificateCheck, CertificateThumbprint, TrustedRootCertificate, RevocationMode),
            From = From,
            To = To,
            TestOpenRelay = TestOpenRelay,
            ScanTls = !SkipTlsScan,
            TranscriptPath = transcript,
            CertificateWarningDays = CertificateWarningDays,
        };
        try
        {
            template.Validate();
        }
        catch (MessageValidationException ex)
        {
            ThrowTerminatingError(SmtpErrorRecords.FromValidation(ex));
        }
    }

    /// <summary>Starts the probes of one input; writes those that finished meanwhile.</summary>
    protected override void ProcessRecord()
    {
        if (ComputerName == ".")
        {
            WriteWarning("The domain has a null MX (it accepts no mail): there is no server to probe.");
            return;
        }

        foreach (var address in Targets())
        {
            var options = template! with { Host = ComputerName, Address = address };
            foreach (var (probed, done) in pipeline!.Start(options, () => new SmtpProbe().ProbeAsync(options, stopping.Token), stopping.Token))
            {
                Write(done, probed);
            }
        }
    }

    /// <summary>Waits for the probes still running and writes them as they finish.</summary>
    protected override void EndProcessing()
    {
        foreach (var (probed, done) in pipeline!.Drain(stopping.Token))
        {
            Write(done, probed);
        }

        if (pipeline.Started > 1)
        {
            WriteProgress(new ProgressRecord(1, "Test-SmtpServer", $"{finished} probed") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Ctrl+C: cancels every probe.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => stopping.Dispose();

    private IEnumerable<string?> Targets()
    {
        var given = (IPAddress ?? Array.Empty<string>()).Where(a => !string.IsNullOrWhiteSpace(a)).ToList();
        if (!AllAddresses)
        {
            return new[] { given.FirstOrDefault() };
        }

        if (given.Count > 0)
        {
            return given;
        }

        // Resolving the name is a network step like the others: bounded by -Timeout and given up at Ctrl+C.
        // The system resolver takes no cancellation token, so a lookup given up on ends in the background.
        var lookup = System.Net.Dns.GetHostAddressesAsync(ComputerName);
        try
        {
            if (!lookup.Wait(checked(Timeout * 1000), stopping.Token))
            {
                var late = new TimeoutException($"Resolving '{ComputerName}' took longer than the -Timeout of {Timeout} s. Check the DNS server, or pass the addresses with -IPAddress.");
                WriteError(new ErrorRecord(late, "HostResolutionTimeout", ErrorCategory.OperationTimeout, ComputerName));
                return Array.Empty<string?>();
            }

            return lookup.Result.Select(a => (string?)a.ToString()).ToList();
        }
        catch (OperationCanceledException)
        {
            return Array.Empty<string?>();
        }
        catch (AggregateException ex) when (ex.InnerException is System.Net.Sockets.SocketException notFound)
        {
            WriteError(new ErrorRecord(notFound, "HostNotResolved", ErrorCategory.ObjectNotFound, ComputerName));
            return Array.Empty<string?>();
        }
    }

    private void Write(Task<SmtpProbeResult> done, SmtpProbeOptions options)
    {
        finished++;
        if (done.IsCanceled)
        {
            return;
        }

        if (done.IsFaulted)
        {
            var error = done.Exception!.GetBaseException();
            WriteError(new ErrorRecord(error, "SmtpProbeFailed", ErrorCategory.NotSpecified, options.Host));
            return;
        }

        var result = done.Result;
        WriteObject(result);
        if (result.Failure != ProbeFailure.None)
        {
            WriteError(FailureRecord(result));
        }

        if (pipeline!.Started > 1)
        {
            WriteProgress(new ProgressRecord(1, "Test-SmtpServer", $"{finished} of {pipeline.Started} probed") { CurrentOperation = $"{result.ComputerName}:{result.Port} {result.Verdict}" });
        }
    }

    private static ErrorRecord FailureRecord(SmtpProbeResult result)
    {
        var (id, category) = result.Failure switch
        {
            ProbeFailure.Unreachable => ("SmtpServerUnreachable", ErrorCategory.ConnectionError),
            ProbeFailure.Timeout => ("SmtpProbeTimeout", ErrorCategory.OperationTimeout),
            ProbeFailure.ServiceRefused => ("SmtpServiceRefused", ErrorCategory.ResourceUnavailable),
            ProbeFailure.TlsFailure => ("SmtpTlsFailure", ErrorCategory.SecurityError),
            _ => ("SmtpProtocolViolation", ErrorCategory.ProtocolError),
        };
        var target = $"{result.ComputerName}:{result.Port}";
        return new ErrorRecord(new InvalidOperationException($"{target}: {result.Error}"), id, category, target);
    }
}
