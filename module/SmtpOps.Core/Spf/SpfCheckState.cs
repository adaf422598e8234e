using System.Collections.Generic;
using System.Net;
using System.Threading;

namespace SmtpOps.Spf;

/// <summary>What one check counts and collects across include and redirect: lookups, void lookups, errors, the tree.</summary>
internal sealed class SpfCheckState
{
    public SpfCheckState(IPAddress? address, CancellationToken cancellationToken)
    {
        Address = address;
        CancellationToken = cancellationToken;
    }

    public IPAddress? Address { get; }

    public CancellationToken CancellationToken { get; }

    public SpfNodeBuilder? Root { get; set; }

    public int Lookups { get; private set; }

    public int Voids { get; private set; }

    public List<SpfError> Errors { get; } = new();

    public IReadOnlyList<string>? ValidatedNames { get; set; }

    public void CountLookup(string domain, string term)
    {
        Lookups++;
        if (Lookups > SpfEvaluation.LookupLimit)
        {
            throw Fail(SpfResult.PermError, domain, term, $"more than {SpfEvaluation.LookupLimit} terms that query DNS (include, a, mx, ptr, exists, redirect)", "4.6.4");
        }
    }

    public void CountVoid(string domain, string term, string target)
    {
        Voids++;
        if (Voids > SpfEvaluation.VoidLookupLimit)
        {
            throw Fail(SpfResult.PermError, domain, term, $"more than {SpfEvaluation.VoidLookupLimit} lookups found nothing (the last: {target})", "4.6.4");
        }
    }

    public SpfCheckAborted Fail(SpfResult result, string domain, string? term, string message, string section)
    {
        Errors.Add(new SpfError(SpfDomainName.Normalize(domain), term, message, section, result));
        return new SpfCheckAborted(result);
    }
}
