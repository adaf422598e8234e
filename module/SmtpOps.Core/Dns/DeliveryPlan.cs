using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Dns;

/// <summary>Where mail for a domain goes: its mail exchangers in the order a sender tries them.</summary>
public sealed class DeliveryPlan
{
    /// <summary>Creates the plan.</summary>
    /// <param name="domain">The mail domain.</param>
    /// <param name="canonicalName">The name the MX records were found at (differs from the domain when it is an alias).</param>
    /// <param name="exchangers">The mail exchangers in delivery order.</param>
    /// <param name="policy">The domain's mail-security records, when asked for.</param>
    public DeliveryPlan(string domain, string canonicalName, IEnumerable<MailExchanger> exchangers, MailDomainPolicy? policy = null)
    {
        Domain = domain ?? throw new ArgumentNullException(nameof(domain));
        CanonicalName = canonicalName ?? throw new ArgumentNullException(nameof(canonicalName));
        Exchangers = exchangers.ToList().AsReadOnly();
        Policy = policy;
    }

    /// <summary>Gets the mail domain.</summary>
    public string Domain { get; }

    /// <summary>Gets the name the MX records were found at: the domain, or the target of its CNAME.</summary>
    public string CanonicalName { get; }

    /// <summary>Gets the mail exchangers in delivery order (one entry for an implicit or a null MX).</summary>
    public IReadOnlyList<MailExchanger> Exchangers { get; }

    /// <summary>Gets whether the domain accepts mail at all (false for a null MX).</summary>
    public bool AcceptsMail => !Exchangers.Any(e => e.IsNullMx);

    /// <summary>Gets whether the domain has no MX and mail goes to its own addresses.</summary>
    public bool IsImplicit => Exchangers.Any(e => e.IsImplicit);

    /// <summary>Gets the domain's mail-security records, when asked for.</summary>
    public MailDomainPolicy? Policy { get; }
}
