using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Threading;
using SmtpOps.Dkim;
using SmtpOps.Dns;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads the DKIM key record a selector publishes and says whether it holds a given private key.</para>
/// <para type="description">Looks up TXT &lt;selector&gt;._domainkey.&lt;domain&gt; as verifiers will.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "DkimKey")]
[OutputType(typeof(DkimKeyCheckResult))]
public sealed class TestDkimKeyCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Gets or sets the signing domain (d=).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Domain { get; set; } = string.Empty;

    /// <summary>Gets or sets the selector (s=).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Selector { get; set; } = string.Empty;

    /// <summary>Gets or sets the private key to compare (a PEM path, PEM text, SecureString or X509Certificate2); without it the record is only read.</summary>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [Alias("KeyPath", "PrivateKeyPath")]
    [ValidateNotNull]
    public object? Key { get; set; }

    /// <summary>Gets or sets the DNS servers to ask (IP or IP:port); default the system's.</summary>
    [Parameter]
    [Alias("DnsServer", "NameServer")]
    [ValidateNotNullOrEmpty]
    public string[]? Server { get; set; }

    /// <summary>Gets or sets how many seconds to wait for the DNS answer.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateRange(1, 60)]
    public int Timeout { get; set; } = 5;

    /// <summary>Checks one selector per input.</summary>
    protected override void ProcessRecord()
    {
        var servers = new List<IPEndPoint>();
        foreach (var text in Server ?? Array.Empty<string>())
        {
            if (!ResolveMailExchangerCommand.TryParseEndPoint(text, out var endPoint))
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{text}' is not a DNS server address: give an IP address, optionally with a port (192.0.2.53, 192.0.2.53:5353)."), "InvalidDnsServer", ErrorCategory.InvalidArgument, text));
            }

            servers.Add(endPoint);
        }

        DkimKeyChecker checker;
        try
        {
            checker = new DkimKeyChecker(new MxResolverOptions { Servers = servers, Timeout = TimeSpan.FromSeconds(Timeout), UseCache = false });
        }
        catch (InvalidOperationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "NoDnsServer", ErrorCategory.ResourceUnavailable, null));
            return;
        }

        try
        {
            var key = Key is null ? null : DkimKeyParameter.Read(this, Key);
            // The pipeline thread waits anyway; one lookup, no thread-pool chatter worth avoiding.
            var result = checker.CheckAsync(Domain, Selector, key, stopping.Token).GetAwaiter().GetResult();
            WriteVerbose(result.Message);
            WriteObject(result);
        }
        catch (DkimException ex)
        {
            WriteError(DkimErrorRecords.FromDkim(ex));
        }
    }

    /// <summary>Ctrl+C: cancels the lookup.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => stopping.Dispose();
}
