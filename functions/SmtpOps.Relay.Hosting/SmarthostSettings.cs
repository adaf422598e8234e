using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Hosting;

/// <summary>The smarthost the relay submits to (section <c>Relay:Smarthost</c>).</summary>
public sealed class SmarthostSettings
{
    /// <summary>Gets or sets the host name, e.g. smtp.office365.com.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>Gets or sets the port; 587 by default (submission with STARTTLS).</summary>
    public int Port { get; set; } = 587;

    /// <summary>Gets or sets how the connection is secured; STARTTLS required by default.</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>Gets or sets the user name for AUTH PLAIN/LOGIN, or nothing.</summary>
    public string? UserName { get; set; }

    /// <summary>Gets or sets the password for AUTH PLAIN/LOGIN (a Key Vault reference in Azure); never logged.</summary>
    public string? Password { get; set; }

    /// <summary>Gets or sets the timeout of each network operation, in seconds.</summary>
    public double Timeout { get; set; } = 100;

    /// <summary>Gets or sets how often a transient failure is retried within the same delivery (e.g. a pooled connection the server closed); the queue retries the rest.</summary>
    public int Retries { get; set; } = 1;

    /// <summary>Gets or sets pinned certificate thumbprints for a smarthost with a private certificate (SHA-1 or SHA-256 hex).</summary>
    public string[] CertificateThumbprints { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Gets or sets root certificates to trust for the smarthost besides the machine's (a private CA; an App Service
    /// or Functions plan cannot add to the machine's store): each entry is a PEM certificate or the path of a PEM or DER file.
    /// </summary>
    public string[] TrustedRootCertificates { get; set; } = Array.Empty<string>();

    /// <summary>Gets or sets what to do about the revocation of the smarthost's certificate: SoftFail (default), Strict or NoCheck.</summary>
    public CertificateRevocationMode RevocationMode { get; set; } = CertificateRevocationMode.SoftFail;

    /// <summary>
    /// Gets or sets how many connections to the smarthost one instance may have open at once (sends beyond it wait for a free one).
    /// 3 by default: Exchange Online refuses a fourth concurrent SMTP AUTH connection per mailbox (<c>432 4.3.2</c>).
    /// </summary>
    public int MaxConnections { get; set; } = 3;

    /// <summary>Gets or sets a value indicating whether a connection is kept open for the next message (false: one connection per message).</summary>
    public bool ReuseConnections { get; set; } = true;

    /// <summary>Gets or sets the name sent in EHLO, or nothing for the machine's name.</summary>
    public string? HeloName { get; set; }

    /// <summary>Loads <see cref="TrustedRootCertificates"/>.</summary>
    /// <returns>The certificates.</returns>
    /// <exception cref="CryptographicException">An entry is not a certificate.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public IReadOnlyList<X509Certificate2> LoadTrustedRoots()
        => TrustedRootCertificates
            .Where(entry => !string.IsNullOrWhiteSpace(entry))
            .Select(entry => entry.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(entry)
                : X509CertificateLoader.LoadCertificateFromFile(entry.Trim()))
            .ToList();
}
