namespace SmtpOps.Dkim;

/// <summary>What the published DKIM key record says about a key.</summary>
public enum DkimKeyCheckStatus
{
    /// <summary>A key record is published and holds the given key's public half: verifiers will accept its signatures.</summary>
    Match,

    /// <summary>A key record is published, but for another key: verifiers will reject signatures made with the given one.</summary>
    Mismatch,

    /// <summary>A key record is published (no key was given to compare).</summary>
    Published,

    /// <summary>The record's p= is empty: the key was revoked and every signature with this selector fails.</summary>
    Revoked,

    /// <summary>There is no TXT record at the name (NXDOMAIN or no data): verifiers find no key.</summary>
    NotPublished,

    /// <summary>A TXT record is there but is not a valid DKIM key record, or there are several.</summary>
    Invalid,

    /// <summary>The lookup failed temporarily (SERVFAIL, timeout): the status is unknown.</summary>
    LookupFailed,
}
