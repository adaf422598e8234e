using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Dns;
using SmtpOps.Spf;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Evaluates a domain's SPF records (RFC 7208): the result for a client address, the tree, lookup counts and errors.</para>
/// <para type="description">Runs check_host() for -IPAddress (pass, fail, softfail, neutral, none, permerror, temperror, with the
/// explanation of a fail); without an address, inspects the records: include and redirect followed, DNS lookups and void
/// lookups counted against their limits (10 and 2), syntax and macro errors with their RFC 7208 section.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SpfRecord")]
[OutputType(typeof(SpfEvaluation))]
public sealed class TestSpfRecordCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private SpfEvaluator? evaluator;

    /// <summary>Gets or sets the domains whose SPF records are evaluated (an e-mail address: its domain, and it is the sender).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "DomainName")]
    [ValidateNotNullOrEmpty]
    public string[] Domain { get; set; } = Array.Empty<string>();

    /// <summary>Gets or sets the SMTP client's address to check; without it the records are only inspected.</summary>
    [Parameter(Position = 1)]
    [Alias("ClientAddress", "IP")]
    public IPAddress? IPAddress { get; set; }

    /// <summary>Gets or sets the sender (MAIL FROM) for the macros; default postmaster@ the domain.</summary>
    [Parameter]
    [Alias("MailFrom")]
    [ValidateNotNullOrEmpty]
    public string? Sender { get; set; }

    /// <summary>Gets or sets the HELO/EHLO name, for the %{h} macro.</summary>
    [Parameter]
    [Alias("Helo", "EhloName")]
    [ValidateNotNullOrEmpty]
    public string? HeloName { get; set; }

    /// <summary>Gets or sets the DNS servers to ask (IP or IP:port); default the system's.</summary>
    [Parameter]
    [Alias("DnsServer", "NameServer")]
    [ValidateNotNullOrEmpty]
    public string[]? Server { get; set; }

    /// <summary>Gets or sets how many seconds to wait for each DNS answer.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateRange(1, 60)]
    public int Timeout { get; set; } = 5;

    /// <summary>Builds the evaluator once: one set of name servers for the pipeline.</summary>
    protected override void BeginProcessing()
    {
        var servers = new List<IPEndPoint>();
        foreach (var text in Server ?? Array.Empty<string>())
        {
            if (!ResolveMailExchangerCommand.TryParseEndPoint(text, out var endPoint))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"'{text}' is not a DNS server address: give an IP address, optionally with a port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)."),
                    "InvalidDnsServer",
                    ErrorCategory.InvalidArgument,
                    text));
            }

            servers.Add(endPoint);
        }

        try
        {
            // No cache: a diagnostic asks the name servers what they say now.
            evaluator = new SpfEvaluator(new DnsClientSpfResolver(new MxResolverOptions { Servers = servers, Timeout = TimeSpan.FromSeconds(Timeout), UseCache = false }));
        }
        catch (InvalidOperationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "NoDnsServer", ErrorCategory.ResourceUnavailable, null));
        }
    }

    /// <summary>Evaluates each domain and writes its evaluation.</summary>
    protected override void ProcessRecord()
    {
        foreach (var input in Domain)
        {
            var at = input.LastIndexOf('@');
            var domain = (at >= 0 ? input.Substring(at + 1) : input).Trim().TrimEnd('.');
            var sender = Sender ?? (at > 0 ? input.Trim() : null);
            var evaluation = IPAddress is null
                ? evaluator!.InspectAsync(domain, sender, HeloName, stopping.Token)
                : evaluator!.CheckHostAsync(IPAddress, domain, sender, HeloName, stopping.Token);
            try
            {
                WriteObject(Task.Run(() => evaluation).GetAwaiter().GetResult());
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Ctrl+C: cancels the lookups in flight.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => stopping.Dispose();
}
