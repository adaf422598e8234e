using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using SmtpOps.Dns;

namespace SmtpOps.Dkim;

/// <summary>
/// Reads the DKIM key record a selector publishes (TXT &lt;selector&gt;._domainkey.&lt;domain&gt;) through the given name
/// servers, as verifiers will, and says whether it holds a given key.
/// </summary>
public sealed class DkimKeyChecker
{
    private readonly DnsLookup lookup;

    /// <summary>Creates a checker.</summary>
    /// <param name="options">The name servers, timeout and retries (the MX resolver's options; MX-specific ones are ignored).</param>
    public DkimKeyChecker(MxResolverOptions options)
    {
        lookup = new DnsLookup(options ?? throw new ArgumentNullException(nameof(options)));
    }

    /// <summary>Reads the record and compares it with the key.</summary>
    /// <param name="domain">The signing domain.</param>
    /// <param name="selector">The selector.</param>
    /// <param name="key">The private key whose public half should be published, or <c>null</c> to only read the record.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The verdict.</returns>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name.</exception>
    public async Task<DkimKeyCheckResult> CheckAsync(string domain, string selector, DkimKey? key, CancellationToken cancellationToken = default)
    {
        // The signer's validation and normal form (a throwaway key when none is given: only the names matter).
        var names = new DkimMessageSigner(domain, selector, key ?? NameCheckKey.Value);
        var name = $"{names.Selector}._domainkey.{names.Domain}";
        var algorithm = key?.AlgorithmName;
        DkimKeyCheckResult Result(DkimKeyCheckStatus status, string? record, string? keyType, string message)
            => new(names.Domain, names.Selector, status, record, keyType, algorithm, message);

        IDnsQueryResponse response;
        try
        {
            response = await lookup.QueryAsync(names.Domain, name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResolutionException ex)
        {
            return Result(DkimKeyCheckStatus.LookupFailed, null, null, $"The lookup of TXT {name} failed temporarily: {ex.Message}");
        }

        var code = response.Header.ResponseCode;
        if (code is not (DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain))
        {
            return Result(DkimKeyCheckStatus.LookupFailed, null, null, $"The lookup of TXT {name} failed temporarily ({DnsLookup.ResponseCodeName(response)}) at {lookup.DescribeServers()}: the status is unknown, try again.");
        }

        // A TXT record may be split into several strings: they are one text (RFC 6376 section 3.6.2.2).
        var texts = response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList();
        if (texts.Count == 0)
        {
            return Result(DkimKeyCheckStatus.NotPublished, null, null, $"No TXT record at {name}: verifiers find no key, and every signature with selector '{names.Selector}' fails. Publish the record New-DkimKey printed.");
        }

        if (texts.Count > 1)
        {
            return Result(DkimKeyCheckStatus.Invalid, string.Join(" | ", texts), null, $"{texts.Count} TXT records at {name}: verifiers expect exactly one key record per selector and may take either.");
        }

        var record = DkimPublicKeyRecord.TryParse(texts[0], out var error);
        if (record is null)
        {
            return Result(DkimKeyCheckStatus.Invalid, texts[0], null, $"The TXT record at {name} is not a DKIM key record: {error}");
        }

        if (record.IsRevoked)
        {
            return Result(DkimKeyCheckStatus.Revoked, record.Text, record.KeyType, $"The key at {name} is revoked (empty p=): every signature with selector '{names.Selector}' fails.");
        }

        if (key is null)
        {
            return Result(DkimKeyCheckStatus.Published, record.Text, record.KeyType, $"A {record.KeyType} key is published at {name}{(record.IsTesting ? " (t=y: testing)" : string.Empty)}.");
        }

        return record.Publishes(key)
            ? Result(DkimKeyCheckStatus.Match, record.Text, record.KeyType, $"The record at {name} publishes this {key}: verifiers will accept its signatures{(record.IsTesting ? " (t=y: the domain is still testing)" : string.Empty)}.")
            : Result(DkimKeyCheckStatus.Mismatch, record.Text, record.KeyType, record.KeyType != key.KeyType
                ? $"The record at {name} publishes a {record.KeyType} key, but the key given is {key.KeyType}: its signatures would fail."
                : $"The record at {name} publishes another {record.KeyType} key: signatures with the key given would fail. Publish its record (New-DkimKey prints it) or sign with the published key.");
    }

    // Only to validate names when no key is given: an Ed25519 key costs microseconds to make.
    private static class NameCheckKey
    {
        public static readonly DkimKey Value = DkimKey.Generate(DkimAlgorithm.Ed25519Sha256);
    }
}
