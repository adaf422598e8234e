using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Spf;

/// <summary>
/// Evaluates SPF records as RFC 7208 check_host() does: the record is selected (section 4.5) and parsed
/// (a syntax error anywhere is a permerror), mechanisms are evaluated in order with their DNS lookups
/// counted (10 terms, 2 void lookups, 10 MX names: section 4.6.4), include and redirect are followed
/// (a target without SPF record is a permerror), macros are expanded (section 7) and the explanation of a
/// fail is fetched (section 6.2). Without a client address the records are inspected: every term is
/// evaluated for its lookups and errors, none matches.
/// </summary>
public sealed class SpfEvaluator
{
    private const int MaxMxNames = 10;
    private const int MaxPtrNames = 10;

    private readonly ISpfDnsResolver resolver;
    private readonly SpfEvaluatorOptions options;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="resolver">The DNS to ask.</param>
    /// <param name="options">The default explanation and receiver name; <c>null</c> for the defaults.</param>
    public SpfEvaluator(ISpfDnsResolver resolver, SpfEvaluatorOptions? options = null)
    {
        this.resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));
        this.options = options ?? new SpfEvaluatorOptions();
    }

    /// <summary>
    /// Checks the MAIL FROM identity (RFC 7208 section 2.4): the domain of <paramref name="sender"/>, or,
    /// when the sender is empty (a bounce), postmaster at the HELO name (section 2.3).
    /// </summary>
    /// <param name="address">The SMTP client's address.</param>
    /// <param name="sender">The MAIL FROM address; empty for a null sender.</param>
    /// <param name="heloName">The HELO/EHLO name.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The evaluation.</returns>
    public Task<SpfEvaluation> CheckMailFromAsync(IPAddress address, string? sender, string? heloName, CancellationToken cancellationToken = default)
    {
        var helo = heloName ?? string.Empty;
        var mailFrom = string.IsNullOrEmpty(sender) ? "postmaster@" + helo : sender!;
        var at = mailFrom.LastIndexOf('@');
        if (at == 0)
        {
            mailFrom = "postmaster" + mailFrom;
            at = mailFrom.LastIndexOf('@');
        }

        var domain = at >= 0 ? mailFrom.Substring(at + 1) : mailFrom;
        return CheckHostAsync(address, domain, mailFrom, heloName, cancellationToken);
    }

    /// <summary>check_host(ip, domain, sender) (RFC 7208 section 4).</summary>
    /// <param name="address">The SMTP client's address.</param>
    /// <param name="domain">The domain whose records are checked.</param>
    /// <param name="sender">The sender for the macros (MAIL FROM, or postmaster@ the HELO name); <c>null</c> for postmaster@<paramref name="domain"/>.</param>
    /// <param name="heloName">The HELO/EHLO name, for the %{h} macro.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The evaluation.</returns>
    public Task<SpfEvaluation> CheckHostAsync(IPAddress address, string domain, string? sender, string? heloName, CancellationToken cancellationToken = default)
    {
        if (address is null)
        {
            throw new ArgumentNullException(nameof(address));
        }

        return RunAsync(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, domain, sender, heloName, cancellationToken);
    }

    /// <summary>
    /// Inspects a domain's records without a client address: the tree, the lookup counts and the errors
    /// (a record over the limits is a permerror whatever the address). Terms whose domain needs the
    /// client's address (%{i}, %{p}, %{v}) are counted but not looked up.
    /// </summary>
    /// <param name="domain">The domain.</param>
    /// <param name="sender">The sender for the macros; <c>null</c> for postmaster@<paramref name="domain"/>.</param>
    /// <param name="heloName">The HELO/EHLO name, for the %{h} macro.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The evaluation; its result is <c>null</c> unless it is none, permerror or temperror.</returns>
    public Task<SpfEvaluation> InspectAsync(string domain, string? sender = null, string? heloName = null, CancellationToken cancellationToken = default) =>
        RunAsync(null, domain, sender, heloName, cancellationToken);

    private static SpfResult? Visible(SpfCheckState state, SpfResult result) =>
        state.Address is null && result is not (SpfResult.None or SpfResult.PermError or SpfResult.TempError) ? null : result;

    private async Task<SpfEvaluation> RunAsync(IPAddress? address, string domain, string? sender, string? heloName, CancellationToken cancellationToken)
    {
        var checkedDomain = (domain ?? string.Empty).Trim();
        var mailFrom = string.IsNullOrEmpty(sender) ? "postmaster@" + checkedDomain : sender!;
        var state = new SpfCheckState(address, cancellationToken);
        var context = new SpfMacroContext(address, mailFrom, checkedDomain, heloName ?? "unknown", options.ReceiverName, () => ValidatedNameAsync(state));
        SpfOutcome outcome;
        try
        {
            outcome = await CheckAsync(state, context, checkedDomain, null, null).ConfigureAwait(false);
        }
        catch (SpfCheckAborted abort)
        {
            outcome = new SpfOutcome(abort.Result);
        }

        string? explanation = null;
        if (outcome.Result == SpfResult.Fail && address is not null)
        {
            explanation = await ExplainAsync(state, outcome).ConfigureAwait(false) ?? options.DefaultExplanation;
        }

        var tree = state.Root?.Build() ?? new SpfRecordNode(checkedDomain, null, null, outcome.Result, Array.Empty<SpfRecordNode>());
        return new SpfEvaluation(checkedDomain, address, mailFrom, heloName, Visible(state, outcome.Result), outcome.Matched, explanation, tree, state.Lookups, state.Voids, state.Errors);
    }

    private async Task<SpfOutcome> CheckAsync(SpfCheckState state, SpfMacroContext context, string domain, SpfNodeBuilder? parent, string? via)
    {
        var node = new SpfNodeBuilder(SpfDomainName.Normalize(domain), via);
        if (parent is null)
        {
            state.Root = node;
        }
        else
        {
            parent.Children.Add(node);
        }

        try
        {
            var outcome = await EvaluateAsync(state, context.ForDomain(domain), domain, node).ConfigureAwait(false);
            node.Result = Visible(state, outcome.Result);
            return outcome;
        }
        catch (SpfCheckAborted abort)
        {
            node.Result = abort.Result;
            throw;
        }
    }

    private async Task<SpfOutcome> EvaluateAsync(SpfCheckState state, SpfMacroContext context, string domain, SpfNodeBuilder node)
    {
        // Section 4.3: a malformed or single-label domain gives none.
        if (!SpfDomainName.IsValid(domain))
        {
            node.Note = "not a valid domain name";
            return new SpfOutcome(SpfResult.None);
        }

        var answer = await QueryAsync(state, domain, SpfDnsQueryType.Txt).ConfigureAwait(false);
        if (answer.Status == SpfDnsStatus.Failure)
        {
            throw state.Fail(SpfResult.TempError, domain, null, $"the TXT lookup of {domain} failed ({answer.Failure})", "4.4");
        }

        var records = answer.Records.Where(SpfRecordSyntax.IsSpfRecord).ToList();
        if (records.Count == 0)
        {
            return new SpfOutcome(SpfResult.None);
        }

        if (records.Count > 1)
        {
            throw state.Fail(SpfResult.PermError, domain, null, $"{domain} publishes {records.Count} SPF records: {string.Join(" | ", records)}", "4.5");
        }

        node.Record = records[0];
        var terms = SpfRecordSyntax.Parse(records[0], out var error, out var section, out var failedTerm);
        if (terms is null)
        {
            throw state.Fail(SpfResult.PermError, domain, failedTerm, error!, section!);
        }

        var exp = terms.FirstOrDefault(t => t.IsModifier && t.Name == "exp")?.DomainSpec;
        foreach (var term in terms.Where(t => !t.IsModifier))
        {
            if (term.CountsAsLookup)
            {
                state.CountLookup(domain, term.Text);
            }

            if (await MatchAsync(state, context, domain, term, node).ConfigureAwait(false))
            {
                return new SpfOutcome(term.Qualifier, $"{term.Text} ({domain})", exp, context);
            }
        }

        var redirect = terms.FirstOrDefault(t => t.IsModifier && t.Name == "redirect");
        if (redirect is null || terms.Any(t => !t.IsModifier && t.Name == "all"))
        {
            return new SpfOutcome(SpfResult.Neutral);
        }

        state.CountLookup(domain, redirect.Text);
        var target = await SpfMacro.ExpandAsync(redirect.DomainSpec!, context, explanation: false).ConfigureAwait(false);
        if (target is null)
        {
            node.Note = $"{redirect.Text} depends on the client's address";
            return new SpfOutcome(SpfResult.Neutral);
        }

        var inner = await CheckAsync(state, context, target, node, redirect.Text).ConfigureAwait(false);
        if (inner.Result == SpfResult.None)
        {
            throw state.Fail(SpfResult.PermError, domain, redirect.Text, $"the redirect target {target} has no SPF record", "6.1");
        }

        return inner;
    }

    private async Task<bool> MatchAsync(SpfCheckState state, SpfMacroContext context, string domain, SpfTerm term, SpfNodeBuilder node)
    {
        var address = state.Address;
        var v6 = address?.AddressFamily == AddressFamily.InterNetworkV6;
        switch (term.Name)
        {
            case "all":
                return address is not null;
            case "ip4":
            case "ip6":
                return address is not null && term.Network!.AddressFamily == address.AddressFamily
                    && SpfNetworkMatch.InNetwork(address, term.Network, v6 ? term.Cidr6 : term.Cidr4);
            case "include":
                {
                    var target = await SpfMacro.ExpandAsync(term.DomainSpec!, context, explanation: false).ConfigureAwait(false);
                    if (target is null)
                    {
                        node.Children.Add(new SpfNodeBuilder(term.DomainSpec!, term.Text) { Note = "depends on the client's address" });
                        return false;
                    }

                    var inner = await CheckAsync(state, context, target, node, term.Text).ConfigureAwait(false);
                    return inner.Result switch
                    {
                        SpfResult.Pass => true,
                        SpfResult.None => throw state.Fail(SpfResult.PermError, domain, term.Text, $"the include target {target} has no SPF record", "5.2"),
                        _ => false,
                    };
                }

            case "a":
            case "mx":
            case "exists":
                {
                    var target = term.DomainSpec is null ? domain : await SpfMacro.ExpandAsync(term.DomainSpec, context, explanation: false).ConfigureAwait(false);
                    if (target is null || !SpfDomainName.IsValid(target))
                    {
                        // Unknown without the client's address, or a name no DNS query can carry: no match (section 4.3, 5).
                        return false;
                    }

                    if (term.Name == "exists")
                    {
                        var found = await LookupAsync(state, domain, term, target, SpfDnsQueryType.A).ConfigureAwait(false);
                        return address is not null && found.Count > 0;
                    }

                    if (term.Name == "a")
                    {
                        var addresses = await LookupAsync(state, domain, term, target, v6 ? SpfDnsQueryType.Aaaa : SpfDnsQueryType.A).ConfigureAwait(false);
                        return address is not null && SpfNetworkMatch.Matches(address, addresses, term);
                    }

                    var exchanges = (await LookupAsync(state, domain, term, target, SpfDnsQueryType.Mx).ConfigureAwait(false))
                        .Where(n => n.Length > 0 && n != ".").ToList();
                    if (exchanges.Count > MaxMxNames)
                    {
                        throw state.Fail(SpfResult.PermError, domain, term.Text, $"{target} has {exchanges.Count} MX records; more than {MaxMxNames} is a permerror", "4.6.4");
                    }

                    if (address is null)
                    {
                        return false;
                    }

                    foreach (var exchange in exchanges)
                    {
                        var answer = await QueryAsync(state, exchange, v6 ? SpfDnsQueryType.Aaaa : SpfDnsQueryType.A).ConfigureAwait(false);
                        if (answer.Status == SpfDnsStatus.Failure)
                        {
                            throw state.Fail(SpfResult.TempError, domain, term.Text, $"the address lookup of {exchange} failed ({answer.Failure})", "5.4");
                        }

                        if (SpfNetworkMatch.Matches(address, answer.Records, term))
                        {
                            return true;
                        }
                    }

                    return false;
                }

            case "ptr":
                {
                    if (address is null)
                    {
                        return false;
                    }

                    var target = term.DomainSpec is null ? domain : await SpfMacro.ExpandAsync(term.DomainSpec, context, explanation: false).ConfigureAwait(false);
                    if (target is null)
                    {
                        return false;
                    }

                    var suffix = SpfDomainName.Normalize(target);
                    var names = await ValidatedNamesAsync(state).ConfigureAwait(false);
                    return names.Any(n => n == suffix || n.EndsWith("." + suffix, StringComparison.Ordinal));
                }

            default:
                return false;
        }
    }

    // A lookup of a mechanism: a failure is a temperror, nothing found is a void lookup.
    private async Task<IReadOnlyList<string>> LookupAsync(SpfCheckState state, string domain, SpfTerm term, string target, SpfDnsQueryType type)
    {
        var answer = await QueryAsync(state, target, type).ConfigureAwait(false);
        if (answer.Status == SpfDnsStatus.Failure)
        {
            throw state.Fail(SpfResult.TempError, domain, term.Text, $"the {type.ToString().ToUpperInvariant()} lookup of {target} failed ({answer.Failure})", "2.6.6");
        }

        if (answer.IsVoid)
        {
            state.CountVoid(domain, term.Text, target);
        }

        return answer.Records;
    }

    private Task<SpfDnsAnswer> QueryAsync(SpfCheckState state, string name, SpfDnsQueryType type)
    {
        state.CancellationToken.ThrowIfCancellationRequested();
        return resolver.QueryAsync(SpfDomainName.Normalize(name), type, state.CancellationToken);
    }

    // The client's names whose addresses include it (section 5.5), at most 10 looked at; errors skip a name.
    private async Task<IReadOnlyList<string>> ValidatedNamesAsync(SpfCheckState state)
    {
        if (state.ValidatedNames is { } known)
        {
            return known;
        }

        var address = state.Address!;
        var validated = new List<string>();
        var ptr = await QueryAsync(state, SpfDomainName.Reverse(address), SpfDnsQueryType.Ptr).ConfigureAwait(false);
        foreach (var name in ptr.Records.Take(MaxPtrNames))
        {
            var answer = await QueryAsync(state, name, address.AddressFamily == AddressFamily.InterNetworkV6 ? SpfDnsQueryType.Aaaa : SpfDnsQueryType.A).ConfigureAwait(false);
            if (answer.Records.Any(r => IPAddress.TryParse(r, out var a) && a.Equals(address)))
            {
                validated.Add(SpfDomainName.Normalize(name));
            }
        }

        state.ValidatedNames = validated;
        return validated;
    }

    // %{p}: a validated name, the checked domain or one of its subdomains preferred, else "unknown" (section 7.3).
    private async Task<string> ValidatedNameAsync(SpfCheckState state)
    {
        var names = await ValidatedNamesAsync(state).ConfigureAwait(false);
        var domain = state.Root is null ? string.Empty : state.Root.Domain;
        return names.FirstOrDefault(n => n == domain)
            ?? names.FirstOrDefault(n => n.EndsWith("." + domain, StringComparison.Ordinal))
            ?? names.FirstOrDefault()
            ?? "unknown";
    }

    // Section 6.2: the explanation of the record that failed; any problem gives the default.
    private async Task<string?> ExplainAsync(SpfCheckState state, SpfOutcome outcome)
    {
        if (outcome.Explanation is null || outcome.Context is null)
        {
            return null;
        }

        try
        {
            var target = await SpfMacro.ExpandAsync(outcome.Explanation, outcome.Context, explanation: false).ConfigureAwait(false);
            if (target is null || !SpfDomainName.IsValid(target))
            {
                return null;
            }

            var answer = await QueryAsync(state, target, SpfDnsQueryType.Txt).ConfigureAwait(false);
            if (answer.Status != SpfDnsStatus.NoError || answer.Records.Count != 1 || SpfMacro.Validate(answer.Records[0], explanation: true) is not null)
            {
                return null;
            }

            return await SpfMacro.ExpandAsync(answer.Records[0], outcome.Context, explanation: true).ConfigureAwait(false);
        }
        catch (SpfCheckAborted)
        {
            return null;
        }
    }
}
