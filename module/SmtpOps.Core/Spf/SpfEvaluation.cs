using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace SmtpOps.Spf;

/// <summary>
/// The outcome of an SPF check of a domain (RFC 7208): check_host()'s result for the client address
/// (when one was given), the explanation of a fail, the tree of records followed, the DNS-lookup and
/// void-lookup counts against their limits (section 4.6.4), and every error with its RFC section.
/// </summary>
public sealed class SpfEvaluation
{
    /// <summary>The most DNS-querying terms one check may evaluate (RFC 7208 section 4.6.4).</summary>
    public const int LookupLimit = 10;

    /// <summary>The most lookups that may find nothing (NXDOMAIN or no answer) in one check (RFC 7208 section 4.6.4).</summary>
    public const int VoidLookupLimit = 2;

    /// <summary>Creates the evaluation.</summary>
    /// <param name="domain">The domain checked.</param>
    /// <param name="address">The client address checked, or <c>null</c> when the records were only inspected.</param>
    /// <param name="sender">The sender (MAIL FROM, or postmaster@ the HELO name).</param>
    /// <param name="heloName">The HELO/EHLO name, or <c>null</c>.</param>
    /// <param name="result">The result; <c>null</c> when no address was given and the records hold no error.</param>
    /// <param name="matchedTerm">The mechanism that decided the result (with its domain), or <c>null</c>.</param>
    /// <param name="explanation">The explanation of a fail (exp=, section 6.2), or <c>null</c>.</param>
    /// <param name="tree">The records followed.</param>
    /// <param name="lookupCount">The terms evaluated that query DNS.</param>
    /// <param name="voidLookupCount">The lookups that found nothing.</param>
    /// <param name="errors">The errors found.</param>
    public SpfEvaluation(string domain, IPAddress? address, string sender, string? heloName, SpfResult? result, string? matchedTerm, string? explanation, SpfRecordNode tree, int lookupCount, int voidLookupCount, IEnumerable<SpfError> errors)
    {
        Domain = domain;
        Address = address;
        Sender = sender;
        HeloName = heloName;
        Result = result;
        MatchedTerm = matchedTerm;
        Explanation = explanation;
        Tree = tree;
        LookupCount = lookupCount;
        VoidLookupCount = voidLookupCount;
        Errors = errors.ToList().AsReadOnly();
    }

    /// <summary>Gets the domain checked.</summary>
    public string Domain { get; }

    /// <summary>Gets the client address checked, or <c>null</c> when the records were only inspected.</summary>
    public IPAddress? Address { get; }

    /// <summary>Gets the sender (MAIL FROM, or postmaster@ the HELO name).</summary>
    public string Sender { get; }

    /// <summary>Gets the HELO/EHLO name, or <c>null</c>.</summary>
    public string? HeloName { get; }

    /// <summary>
    /// Gets the result of check_host(); <c>null</c> when no address was given and the records hold no
    /// error (none, permerror and temperror do not depend on the address).
    /// </summary>
    public SpfResult? Result { get; }

    /// <summary>Gets the mechanism that decided the result, with the domain whose record holds it, or <c>null</c>.</summary>
    public string? MatchedTerm { get; }

    /// <summary>Gets the explanation of a fail (the domain's exp= text, RFC 7208 section 6.2), or <c>null</c>.</summary>
    public string? Explanation { get; }

    /// <summary>Gets the records followed (include, redirect).</summary>
    public SpfRecordNode Tree { get; }

    /// <summary>Gets how many terms that query DNS were evaluated (limit <see cref="LookupLimit"/>).</summary>
    public int LookupCount { get; }

    /// <summary>Gets how many lookups found nothing (limit <see cref="VoidLookupLimit"/>).</summary>
    public int VoidLookupCount { get; }

    /// <summary>Gets the errors found, each with its RFC 7208 section.</summary>
    public IReadOnlyList<SpfError> Errors { get; }
}
