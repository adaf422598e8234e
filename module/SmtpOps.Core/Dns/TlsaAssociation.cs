namespace SmtpOps.Dns;

/// <summary>One DANE TLSA record (RFC 6698, RFC 7672): which certificate the host must present.</summary>
public sealed class TlsaAssociation
{
    /// <summary>Creates the association.</summary>
    /// <param name="certificateUsage">0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.</param>
    /// <param name="selector">0 full certificate, 1 SubjectPublicKeyInfo.</param>
    /// <param name="matchingType">0 exact, 1 SHA-256, 2 SHA-512.</param>
    /// <param name="data">The certificate association data in hexadecimal.</param>
    public TlsaAssociation(int certificateUsage, int selector, int matchingType, string data)
    {
        CertificateUsage = certificateUsage;
        Selector = selector;
        MatchingType = matchingType;
        Data = data;
    }

    /// <summary>Gets the certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (only 2 and 3 are used for SMTP, RFC 7672).</summary>
    public int CertificateUsage { get; }

    /// <summary>Gets the selector: 0 full certificate, 1 SubjectPublicKeyInfo.</summary>
    public int Selector { get; }

    /// <summary>Gets the matching type: 0 exact, 1 SHA-256, 2 SHA-512.</summary>
    public int MatchingType { get; }

    /// <summary>Gets the certificate association data in hexadecimal.</summary>
    public string Data { get; }

    /// <summary>Returns the record in zone-file presentation, e.g. "3 1 1 0a1b...".</summary>
    /// <returns>The record text.</returns>
    public override string ToString() => $"{CertificateUsage} {Selector} {MatchingType} {Data}";
}
