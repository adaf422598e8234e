using System;
using System.Management.Automation;
using SmtpOps.PowerShell.Completion;
using SmtpOps.Relay;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Finds where a relayed message is: waiting, being retried (attempt n), being sent, sent (when, the smarthost's answer), a duplicate, dead-lettered (why), poison, or unknown.</para>
/// <para type="description">By Message-ID or idempotency key; one object per copy found.</para>
/// </summary>
[Cmdlet(VerbsCommon.Find, "SmtpRelayMessage", DefaultParameterSetName = ConnectionStringSet)]
[OutputType(typeof(RelayMessageLocation))]
public sealed class FindSmtpRelayMessageCommand : RelayCommandBase
{
    /// <summary>Gets or sets the Message-IDs to look for.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] MessageId { get; set; } = Array.Empty<string>();

    /// <summary>Gets or sets the idempotency key to look for; it wins over -MessageId, since the ledger knows sent messages by key.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Key")]
    [ValidateNotNullOrEmpty]
    public string? IdempotencyKey { get; set; }

    /// <summary>Gets or sets the relay queue.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Queue")]
    [ArgumentCompleter(typeof(RelayQueueCompleter))]
    [ValidateNotNullOrEmpty]
    public string? RelayQueue { get; set; }

    /// <summary>Looks for each message.</summary>
    protected override void ProcessRecord()
    {
        var wanted = IdempotencyKey is { } key ? new[] { key } : MessageId;
        if (wanted.Length == 0)
        {
            WriteError(new ErrorRecord(new ArgumentException("Give -MessageId or -IdempotencyKey."), "MissingMessageId", ErrorCategory.InvalidArgument, null));
            return;
        }

        foreach (var id in wanted)
        {
            if (TryRun(RelayQueue!, (inspector, ct) => inspector.FindAsync(id, ct), out var locations))
            {
                WriteObject(locations, enumerateCollection: true);
            }
        }
    }
}
