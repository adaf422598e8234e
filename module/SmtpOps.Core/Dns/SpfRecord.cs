namespace SmtpOps.Dns;

/// <summary>A domain's SPF record (RFC 7208): the TXT record at the domain that starts with v=spf1.</summary>
public sealed class SpfRecord
{
    /// <summary>Creates the record.</summary>
    /// <param name="record">The TXT record text.</param>
    /// <param name="allMechanism">The trailing all mechanism with its qualifier (-all, ~all, ?all, +all), or <c>null</c>.</param>
    public SpfRecord(string record, string? allMechanism)
    {
        Record = record;
        AllMechanism = allMechanism;
    }

    /// <summary>Gets the TXT record, e.g. "v=spf1 mx include:spf.protection.outlook.com -all".</summary>
    public string Record { get; }

    /// <summary>Gets the all mechanism with its qualifier (-all, ~all, ?all, +all), or <c>null</c> when there is none.</summary>
    public string? AllMechanism { get; }
}
