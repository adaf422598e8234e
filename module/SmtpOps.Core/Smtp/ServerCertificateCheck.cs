using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.Smtp;

/// <summary>
/// The certificate callback of one connection: asks <see cref="SmtpTlsPolicy"/> and remembers its
/// decision, so that a refusal can say why and an acceptance can be reported.
/// </summary>
internal sealed class ServerCertificateCheck
{
    private readonly SmtpTlsPolicy policy;
    private readonly string host;
    private readonly bool opportunistic;

    public ServerCertificateCheck(SmtpTlsPolicy policy, string host, bool opportunistic)
    {
        this.policy = policy;
        this.host = host;
        this.opportunistic = opportunistic;
    }

    /// <summary>Gets the decision about the last certificate presented, or <c>null</c>.</summary>
    public ServerCertificateDecision? LastDecision { get; private set; }

    /// <summary>Forgets the last decision (a new connection starts).</summary>
    public void Reset() => LastDecision = null;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastDecision = policy.Judge(host, certificate, chain, errors, opportunistic);
        return LastDecision.Accepted;
    }
}
