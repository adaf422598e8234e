using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.TestServers;

/// <summary>Behaviour of a <see cref="ScriptedSmtpServer"/>: a well-behaved ESMTP server by default, each property one fault or feature.</summary>
public sealed class ScriptedSmtpServerOptions
{
    /// <summary>The EHLO extensions advertised by default, all implemented.</summary>
    public static readonly IReadOnlyList<string> DefaultExtensions = ["SIZE 35882577", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES"];

    /// <summary>Port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Greeting code. 2xx: a normal session. 4xx: the banner is sent and the connection closed (like 421).
    /// 5xx (554): the server refuses service, answers QUIT with 221 and every other command with 503 (RFC 5321 3.1).
    /// </summary>
    public int BannerCode { get; init; } = 220;

    public string BannerText { get; init; } = "localhost ESMTP SmtpOps test server";

    /// <summary>Wait this long after accepting (and after an implicit TLS handshake) before sending the banner.</summary>
    public TimeSpan BannerDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Accept connections and never send a byte; they stay open until the client closes or the server is disposed.</summary>
    public bool Tarpit { get; init; }

    /// <summary>Answer each connection with an HTTP error response instead of a banner, then close it.</summary>
    public bool Garbage { get; init; }

    /// <summary>When set, STARTTLS is advertised (before TLS) and upgrades the connection with this certificate.</summary>
    public X509Certificate2? StartTlsCertificate { get; init; }

    /// <summary>When set, every connection starts with a TLS handshake with this certificate (implicit TLS, as on port 465).</summary>
    public X509Certificate2? ImplicitTlsCertificate { get; init; }

    /// <summary>
    /// Mechanisms listed after AUTH in the EHLO reply. Null: PLAIN and LOGIN when <see cref="Users"/> is set, XOAUTH2 when
    /// <see cref="OAuthTokens"/> is set. PLAIN, LOGIN and XOAUTH2 are implemented; other names are advertised but answered 504.
    /// </summary>
    public IReadOnlyList<string>? AuthMechanisms { get; init; }

    /// <summary>List AUTH (and accept it) on a connection without TLS. By default AUTH is offered only after TLS; before it, AUTH gets 538.</summary>
    public bool AdvertiseAuthBeforeTls { get; init; }

    /// <summary>MAIL before a successful AUTH gets 530 5.7.0.</summary>
    public bool RequireAuthentication { get; init; }

    /// <summary>User name to password for AUTH PLAIN and LOGIN (ordinal comparison).</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>User name to access token for AUTH XOAUTH2 (ordinal comparison).</summary>
    public IReadOnlyDictionary<string, string>? OAuthTokens { get; init; }

    /// <summary>
    /// Domains this server is the destination for. When set, RCPT TO another domain gets 550 5.7.1 unless the session is
    /// authenticated (a closed relay); when null every recipient is accepted (an open relay).
    /// </summary>
    public IReadOnlyCollection<string>? AcceptedDomains { get; init; }

    /// <summary>Addresses answered with 550 5.1.1 at RCPT TO (compared case-insensitively).</summary>
    public IReadOnlyCollection<string> RejectRecipients { get; init; } = [];

    /// <summary>The first N message transactions are answered 451 at the end of DATA (or the last BDAT); later ones are accepted.</summary>
    public int FailDataTimes { get; init; }

    /// <summary>For the first N DATA transactions, reset the connection (RST, no reply) after the first line of content.</summary>
    public int DropDuringDataTimes { get; init; }

    /// <summary>
    /// EHLO lines after the greeting line, before STARTTLS and AUTH (which are added from the other options). Implemented:
    /// SIZE n (enforced at MAIL and DATA), 8BITMIME, SMTPUTF8, PIPELINING, ENHANCEDSTATUSCODES, CHUNKING (BDAT).
    /// Other keywords are advertised only.
    /// </summary>
    public IReadOnlyList<string> Extensions { get; init; } = DefaultExtensions;
}
