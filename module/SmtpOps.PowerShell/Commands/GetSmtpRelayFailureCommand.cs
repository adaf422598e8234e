using System;
using System.Management.Automation;
using SmtpOps.PowerShell.Completion;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads the messages a relay did not send: its dead-letter records and the platform's poison messages.</para>
/// <para type="description">Typed objects (kind, reason, SMTP code, attempts, failed at, Message-ID, idempotency key, sender, subject, enqueuer), oldest first, filterable by kind, time and Message-ID.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SmtpRelayFailure", DefaultParameterSetName = ConnectionStringSet)]
[OutputType(typeof(RelayFailure))]
public sealed class GetSmtpRelayFailureCommand : RelayCommandBase
{
    /// <summary>Gets or sets the relay queue.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Queue")]
    [ArgumentCompleter(typeof(RelayQueueCompleter))]
    [ValidateNotNullOrEmpty]
    public string? RelayQueue { get; set; }

    /// <summary>Gets or sets the kinds to return.</summary>
    [Parameter]
    [ValidateSet(RelayFailureKind.Envelope, RelayFailureKind.Policy, RelayFailureKind.Message, RelayFailureKind.Smtp, RelayFailureKind.Graph, RelayFailureKind.Acs, RelayFailureKind.GaveUp, RelayFailureKind.Poison, RelayFailureKind.Unreadable)]
    public string[] Kind { get; set; } = Array.Empty<string>();

    /// <summary>Gets or sets the earliest failure time.</summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary>Gets or sets the latest failure time.</summary>
    [Parameter]
    public DateTime? Before { get; set; }

    /// <summary>Gets or sets a Message-ID to look for (angle brackets optional).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MessageId { get; set; }

    /// <summary>Reads the failures.</summary>
    protected override void ProcessRecord()
    {
        var filter = new RelayFailureFilter
        {
            Kinds = Kind,
            After = After is { } after ? new DateTimeOffset(after.ToUniversalTime()) : null,
            Before = Before is { } before ? new DateTimeOffset(before.ToUniversalTime()) : null,
            MessageId = MessageId,
        };
        if (TryRun(RelayQueue!, (inspector, ct) => inspector.GetFailuresAsync(filter, ct), out var failures))
        {
            WriteObject(failures, enumerateCollection: true);
        }
    }
}
