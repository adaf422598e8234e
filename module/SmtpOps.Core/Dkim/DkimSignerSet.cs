using System;
using System.Collections.Generic;
using System.Linq;
using MimeKit;

namespace SmtpOps.Dkim;

/// <summary>
/// The DKIM signers of several sending domains (the relay's Relay:Dkim:&lt;domain&gt; settings): a message is signed by the
/// signer of its From domain, or of the closest parent domain that has one; mail from other domains goes unsigned.
/// </summary>
public sealed class DkimSignerSet
{
    private readonly Dictionary<string, DkimMessageSigner> signers;

    /// <summary>Creates the set.</summary>
    /// <param name="signers">One signer per signing domain.</param>
    /// <exception cref="ArgumentException">Two signers have the same domain.</exception>
    public DkimSignerSet(IEnumerable<DkimMessageSigner> signers)
    {
        this.signers = new Dictionary<string, DkimMessageSigner>(StringComparer.OrdinalIgnoreCase);
        foreach (var signer in signers ?? throw new ArgumentNullException(nameof(signers)))
        {
            if (this.signers.ContainsKey(signer.Domain))
            {
                throw new ArgumentException($"Two DKIM signers for {signer.Domain}.", nameof(signers));
            }

            this.signers[signer.Domain] = signer;
        }
    }

    /// <summary>Gets an empty set: nothing is signed.</summary>
    public static DkimSignerSet None { get; } = new(Array.Empty<DkimMessageSigner>());

    /// <summary>Gets the signing domains.</summary>
    public IReadOnlyCollection<string> Domains => signers.Keys.ToList().AsReadOnly();

    /// <summary>Finds the signer for a From domain: its own, or the closest parent domain's.</summary>
    /// <param name="fromDomain">The From domain.</param>
    /// <returns>The signer, or <c>null</c> when no configured domain covers it.</returns>
    public DkimMessageSigner? ForSender(string fromDomain)
    {
        var domain = (fromDomain ?? string.Empty).Trim().TrimEnd('.');
        while (domain.Length > 0)
        {
            if (signers.TryGetValue(domain, out var signer))
            {
                return signer;
            }

            var dot = domain.IndexOf('.');
            domain = dot < 0 ? string.Empty : domain.Substring(dot + 1);
        }

        return null;
    }

    /// <summary>Signs a finished message with its From domain's signer, as the last step before submission.</summary>
    /// <param name="message">The message.</param>
    /// <returns>What was applied, or <c>null</c> when no configured domain covers the From domain (the message is unchanged).</returns>
    public AppliedDkimSignature? Sign(MimeMessage message)
    {
        var from = (message ?? throw new ArgumentNullException(nameof(message))).From.Mailboxes.FirstOrDefault();
        return from is not null && ForSender(from.Domain) is { } signer ? signer.Sign(message) : null;
    }
}
