using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Dkim;

namespace SmtpOps.Smtp;

/// <summary>What happened to one message that the server accepted.</summary>
public sealed class SmtpSendResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="messageId">The Message-ID of the message.</param>
    /// <param name="subject">The subject.</param>
    /// <param name="server">The server host.</param>
    /// <param name="port">The server port.</param>
    /// <param name="tlsProtocol">The TLS protocol, or "None".</param>
    /// <param name="tlsCipher">The cipher, or <c>null</c> without TLS.</param>
    /// <param name="recipients">Every recipient with the server's answer.</param>
    /// <param name="response">The server's final response to the message data.</param>
    /// <param name="elapsed">The time from the first attempt to the server's final answer.</param>
    /// <param name="attempts">How many attempts it took.</param>
    /// <param name="certificate">The TLS policy's decision about the server's certificate, or <c>null</c> without TLS.</param>
    /// <param name="dkim">The DKIM signature the message carried, or <c>null</c> when it was sent unsigned.</param>
    /// <param name="smime">The S/MIME protection applied to the message, or <c>null</c> when none was.</param>
    public SmtpSendResult(string messageId, string subject, string server, int port, string tlsProtocol, string? tlsCipher, IReadOnlyList<SmtpRecipientResult> recipients, string response, TimeSpan elapsed, int attempts, ServerCertificateDecision? certificate = null, AppliedDkimSignature? dkim = null, Smime.SmimeProtection? smime = null)
    {
        Dkim = dkim;
        Smime = smime;
        Certificate = certificate;
        MessageId = messageId;
        Subject = subject;
        Server = server;
        Port = port;
        TlsProtocol = tlsProtocol;
        TlsCipher = tlsCipher;
        // Read-only collections rather than arrays: in PowerShell, $result.Accepted.Address on an
        // array would find Array.Address instead of enumerating the recipients' addresses.
        Recipients = recipients.ToList().AsReadOnly();
        Accepted = recipients.Where(r => r.Accepted).ToList().AsReadOnly();
        Rejected = recipients.Where(r => !r.Accepted).ToList().AsReadOnly();
        Response = response;
        Elapsed = elapsed;
        Attempts = attempts;
    }

    /// <summary>Gets the Message-ID (without angle brackets).</summary>
    public string MessageId { get; }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Gets the server host.</summary>
    public string Server { get; }

    /// <summary>Gets the server port.</summary>
    public int Port { get; }

    /// <summary>Gets the negotiated TLS protocol (e.g. "Tls13"), or "None".</summary>
    public string TlsProtocol { get; }

    /// <summary>Gets the negotiated cipher, or <c>null</c> without TLS.</summary>
    public string? TlsCipher { get; }

    /// <summary>Gets the TLS policy's decision about the server's certificate, or <c>null</c> without TLS.</summary>
    public ServerCertificateDecision? Certificate { get; }

    /// <summary>Gets how the server's certificate was accepted (Trusted, Pinned, Skipped, Unvalidated), or <c>null</c> without TLS.</summary>
    public CertificateTrust? CertificateTrust => Certificate?.Trust;

    /// <summary>Gets what is known about the revocation of the server's certificate, or <c>null</c> without TLS.</summary>
    public CertificateRevocationStatus? CertificateRevocation => Certificate?.Revocation;

    /// <summary>Gets every recipient with the server's answer.</summary>
    public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

    /// <summary>Gets the recipients the server accepted.</summary>
    public IReadOnlyList<SmtpRecipientResult> Accepted { get; }

    /// <summary>Gets the recipients the server refused (they did not get the message).</summary>
    public IReadOnlyList<SmtpRecipientResult> Rejected { get; }

    /// <summary>Gets the SMTP status code of the final response (250 when accepted).</summary>
    public int StatusCode => 250;

    /// <summary>Gets the server's final response text, often with its queue id.</summary>
    public string Response { get; }

    /// <summary>Gets the time from the first attempt to the server's final answer.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets the S/MIME protection applied to the message (signer thumbprint, encrypted-for list), or <c>null</c> when none was.</summary>
    public Smime.SmimeProtection? Smime { get; }

    /// <summary>Gets how many attempts it took (1 without retries).</summary>
    public int Attempts { get; }

    /// <summary>Gets the DKIM signature the message carried (d=, s=, algorithm, signed fields), or <c>null</c> when it was sent unsigned.</summary>
    public AppliedDkimSignature? Dkim { get; }
}
