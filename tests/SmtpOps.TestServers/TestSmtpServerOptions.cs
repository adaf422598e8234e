using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.TestServers;

/// <summary>Behaviour of a <see cref="TestSmtpServer"/>.</summary>
public sealed class TestSmtpServerOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; init; }

    public TestSmtpTls Tls { get; init; } = TestSmtpTls.None;

    /// <summary>Server certificate; when null and <see cref="Tls"/> is not None, a self-signed "localhost" certificate.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>User name to password. When set, AUTH PLAIN/LOGIN is offered and required before MAIL.</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>Offer AUTH on a connection that is not (yet) TLS. Without it AUTH is only offered after TLS.</summary>
    public bool AllowUnsecureAuthentication { get; init; }

    /// <summary>Addresses answered with 550 at RCPT TO (compared case-insensitively).</summary>
    public IReadOnlyCollection<string> RejectRecipients { get; init; } = [];

    /// <summary>The first N message transactions are answered 451 at the end of DATA; later ones are accepted.</summary>
    public int FailDataTimes { get; init; }

    /// <summary>
    /// The reply code and text for the transactions <see cref="FailDataTimes"/> fails, e.g. 432 and
    /// "4.3.2 Concurrent connections limit exceeded" (Exchange Online throttling); 451 4.3.0 by default.
    /// </summary>
    public (int Code, string Text) FailDataReply { get; init; } = (451, "4.3.0 Temporary failure injected by the test server");

    /// <summary>
    /// When set: each accepted message is written as 000001.eml, 000002.eml ... (with its envelope in
    /// 000001.envelope.json, written first), and each connection appends a line to sessions.log.
    /// </summary>
    public string? MessageDirectory { get; init; }
}
