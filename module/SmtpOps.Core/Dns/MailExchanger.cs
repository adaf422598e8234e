using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace SmtpOps.Dns;

/// <summary>
/// One host that receives mail for a domain, in delivery order: the MX target with its
/// preference and addresses, or the domain itself when it has no MX (implicit MX), or the
/// RFC 7505 null MX that says the domain accepts no mail.
/// </summary>
public sealed class MailExchanger
{
    /// <summary>Creates the exchanger.</summary>
    /// <param name="domain">The mail domain.</param>
    /// <param name="exchange">The host name ("." for a null MX).</param>
    /// <param name="preference">The MX preference (0 for an implicit MX).</param>
    /// <param name="addresses">The host's IPv4 and IPv6 addresses.</param>
    /// <param name="isImplicit">Whether the domain has no MX and this is its own address record.</param>
    /// <param name="isNullMx">Whether this is a null MX: the domain accepts no mail.</param>
    /// <param name="ttl">The TTL of the record this entry comes from, in seconds.</param>
    /// <param name="warnings">What a postmaster should look at.</param>
    /// <param name="tlsa">The DANE TLSA records of the host, when the policy was asked for.</param>
    /// <param name="policy">The domain's mail-security records, when asked for.</param>
    public MailExchanger(string domain, string exchange, int preference, IEnumerable<IPAddress> addresses, bool isImplicit, bool isNullMx, int ttl, IEnumerable<string> warnings, TlsaRecordSet? tlsa = null, MailDomainPolicy? policy = null)
    {
        Domain = domain ?? throw new ArgumentNullException(nameof(domain));
        Exchange = exchange ?? throw new ArgumentNullException(nameof(exchange));
        Preference = preference;
        // Read-only collections rather than arrays: PowerShell member enumeration stays predictable.
        Addresses = addresses.ToList().AsReadOnly();
        IsImplicit = isImplicit;
        IsNullMx = isNullMx;
        Ttl = ttl;
        Warnings = warnings.ToList().AsReadOnly();
        Tlsa = tlsa;
        Policy = policy;
    }

    /// <summary>Gets the mail domain (the domain part of the input, lower case, IDN in A-label form).</summary>
    public string Domain { get; }

    /// <summary>
    /// Gets the host that receives the mail: the MX target, the domain itself for an implicit MX,
    /// or "." for a null MX. Commands that take a -ComputerName bind to it by this name.
    /// </summary>
    public string Exchange { get; }

    /// <summary>Gets the MX preference; lower is tried first.</summary>
    public int Preference { get; }

    /// <summary>Gets the host's IPv4 addresses, then its IPv6 addresses; empty when it has none.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; }

    /// <summary>Gets whether the domain has no MX and mail goes to its own address records (RFC 5321 section 5.1).</summary>
    public bool IsImplicit { get; }

    /// <summary>Gets whether the domain publishes a null MX (RFC 7505): it accepts no mail.</summary>
    public bool IsNullMx { get; }

    /// <summary>Gets the TTL in seconds of the MX record (or of the address records for an implicit MX).</summary>
    public int Ttl { get; }

    /// <summary>Gets problems worth a look: an exchange that is an alias or has no address, a domain that is an alias, and so on.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Gets the DANE TLSA records at _25._tcp.&lt;exchange&gt;, when the policy was asked for.</summary>
    public TlsaRecordSet? Tlsa { get; }

    /// <summary>Gets the domain's mail-security records (shared by all exchangers of the domain), when asked for.</summary>
    public MailDomainPolicy? Policy { get; }
}
