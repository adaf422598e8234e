using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.Dns;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Finds where a domain's mail goes: its mail exchangers in delivery order, with addresses and flags.</para>
/// <para type="description">Resolves MX records like an MTA (RFC 5321 section 5.1) through DnsClient.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Resolve, "MailExchanger")]
[OutputType(typeof(MailExchanger))]
public sealed class ResolveMailExchangerCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly Stopwatch progressClock = new();
    private MxResolver? resolver;
    private ConcurrentPipeline<string, DeliveryPlan>? pipeline;
    private int finished;

    /// <summary>Gets or sets the domains, or e-mail addresses whose domain is taken.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "DomainName", "EmailAddress", "Address")]
    [AllowEmptyString]
    public string[] Domain { get; set; } = Array.Empty<string>();

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

    /// <summary>Gets or sets whether DNS queries go over TCP only.</summary>
    [Parameter]
    public SwitchParameter TcpOnly { get; set; }

    /// <summary>Gets or sets whether answers are not cached, not even within this command.</summary>
    [Parameter]
    public SwitchParameter NoCache { get; set; }

    /// <summary>Gets or sets whether exchangers of equal preference are listed in a stable (name) order instead of random order.</summary>
    [Parameter]
    public SwitchParameter NoRandomize { get; set; }

    /// <summary>Gets or sets whether the domain's mail-security records (MTA-STS, TLS-RPT, DANE, SPF, DMARC) are added.</summary>
    [Parameter]
    public SwitchParameter Policy { get; set; }

    /// <summary>Gets or sets how many domains are resolved at the same time.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>Builds the resolver once for the whole pipeline (one cache, one set of servers).</summary>
    protected override void BeginProcessing()
    {
        var servers = new List<IPEndPoint>();
        foreach (var text in Server ?? Array.Empty<string>())
        {
            if (!TryParseEndPoint(text, out var endPoint))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"'{text}' is not a DNS server address: give an IP address, optionally with a port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)."),
                    "InvalidDnsServer",
                    ErrorCategory.InvalidArgument,
                    text));
            }

            servers.Add(endPoint);
        }

        var options = new MxResolverOptions
        {
            Servers = servers,
            Timeout = TimeSpan.FromSeconds(Timeout),
            TcpOnly = TcpOnly,
            UseCache = !NoCache,
            Randomize = !NoRandomize,
            IncludePolicy = Policy,
        };
        try
        {
            resolver = new MxResolver(options);
        }
        catch (InvalidOperationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "NoDnsServer", ErrorCategory.ResourceUnavailable, null));
        }

        WriteVerbose($"Asking {string.Join(", ", resolver!.NameServers)}.");
        pipeline = new ConcurrentPipeline<string, DeliveryPlan>(ThrottleLimit);
        progressClock.Start();
    }

    /// <summary>Starts resolving each domain; writes plans as they complete, at most -ThrottleLimit in flight.</summary>
    protected override void ProcessRecord()
    {
        foreach (var domain in Domain)
        {
            foreach (var (input, done) in pipeline!.Start(domain, () => resolver!.ResolveAsync(domain, stopping.Token), stopping.Token))
            {
                Write(input, done);
            }
        }
    }

    /// <summary>Waits for the domains still in flight, writing each as it completes.</summary>
    protected override void EndProcessing()
    {
        foreach (var (input, done) in pipeline!.Drain(stopping.Token))
        {
            Write(input, done);
        }

        if (pipeline.Started > 1)
        {
            WriteProgress(new ProgressRecord(1, "Resolve-MailExchanger", $"{finished} of {pipeline.Started} domains resolved") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Ctrl+C: cancels the lookups in flight.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => stopping.Dispose();

    /// <summary>Parses 192.0.2.53, 192.0.2.53:5353, 2001:db8::53 or [2001:db8::53]:5353 (port 53 by default).</summary>
    internal static bool TryParseEndPoint(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        var value = text.Trim();
        string host = value;
        var port = 53;
        if (value.StartsWith("[", StringComparison.Ordinal))
        {
            var close = value.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = value.Substring(1, close - 1);
            var rest = value.Substring(close + 1);
            if (rest.Length > 0 && (!rest.StartsWith(":", StringComparison.Ordinal) || !int.TryParse(rest.Substring(1), NumberStyles.None, CultureInfo.InvariantCulture, out port)))
            {
                return false;
            }
        }
        else if (value.Count(c => c == ':') == 1)
        {
            var colon = value.IndexOf(':');
            host = value.Substring(0, colon);
            if (!int.TryParse(value.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                return false;
            }
        }

        if (port is < 1 or > 65535 || !IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }

    private void Write(string input, Task<DeliveryPlan> task)
    {
        finished++;
        if (task.Status == TaskStatus.RanToCompletion)
        {
            foreach (var exchanger in task.Result.Exchangers)
            {
                WriteObject(exchanger);
            }

            // -Policy: what is wrong with the domain's records is said where a user sees it, once per domain.
            if (task.Result.Policy is { } policy)
            {
                if (policy.Dmarc is { } dmarc)
                {
                    WriteVerbose($"{policy.Domain}: DMARC {dmarc.Verdict}.");
                }

                foreach (var warning in policy.Warnings)
                {
                    WriteWarning($"{policy.Domain}: {warning}");
                }
            }
        }
        else if (task.Exception?.GetBaseException() is DnsResolutionException failure)
        {
            WriteError(DnsErrorRecords.FromResolution(failure));
        }
        else if (task.Exception?.GetBaseException() is { } unexpected && !stopping.IsCancellationRequested)
        {
            WriteError(new ErrorRecord(unexpected, "DnsResolutionFailed", ErrorCategory.NotSpecified, input));
        }

        if (pipeline!.Started > 1 && progressClock.ElapsedMilliseconds >= 200)
        {
            progressClock.Restart();
            WriteProgress(new ProgressRecord(1, "Resolve-MailExchanger", $"{finished} of {pipeline.Started} domains resolved") { CurrentOperation = $"{pipeline.Running} in flight" });
        }
    }
}
