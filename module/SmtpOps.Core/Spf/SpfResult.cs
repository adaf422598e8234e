namespace SmtpOps.Spf;

/// <summary>The results of an SPF check (RFC 7208 section 2.6).</summary>
public enum SpfResult
{
    /// <summary>No SPF record for the domain, or the domain is not a valid name to check (section 2.6.1).</summary>
    None,

    /// <summary>The domain states nothing about the address (section 2.6.2).</summary>
    Neutral,

    /// <summary>The address is authorised to send for the domain (section 2.6.3).</summary>
    Pass,

    /// <summary>The address is not authorised: receivers may reject the mail (section 2.6.4).</summary>
    Fail,

    /// <summary>The address is probably not authorised, a weak statement (section 2.6.5).</summary>
    SoftFail,

    /// <summary>A transient DNS error: a later check may succeed (section 2.6.6).</summary>
    TempError,

    /// <summary>The records cannot be interpreted: a syntax error, too many lookups, a missing include target (section 2.6.7).</summary>
    PermError,
}
