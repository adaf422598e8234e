using System;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>The rules of <see cref="SmtpTlsPolicy"/> that need no server; the handshakes are tested against real servers.</summary>
public sealed class SmtpTlsPolicyTests
{
    [Theory]
    [InlineData(SmtpSecurity.Auto, 465, SmtpSecurity.SslOnConnect)]
    [InlineData(SmtpSecurity.Auto, 587, SmtpSecurity.StartTlsWhenAvailable)]
    [InlineData(SmtpSecurity.Auto, 25, SmtpSecurity.StartTlsWhenAvailable)]
    [InlineData(SmtpSecurity.StartTls, 465, SmtpSecurity.StartTls)]
    [InlineData(SmtpSecurity.None, 587, SmtpSecurity.None)]
    public void AutoResolvesByPort(SmtpSecurity security, int port, SmtpSecurity expected)
        => Assert.Equal(expected, new SmtpTlsPolicy { Security = security }.ResolveSecurity(port));

    [Theory]
    [InlineData(SmtpSecurity.Auto, 25, false, true)]
    [InlineData(SmtpSecurity.StartTlsWhenAvailable, 587, false, true)]
    [InlineData(SmtpSecurity.Auto, 25, true, false)]
    [InlineData(SmtpSecurity.Auto, 465, false, false)]
    [InlineData(SmtpSecurity.StartTls, 25, false, false)]
    public void OnlyStartTlsWhenAvailableWithoutCredentialsIsOpportunistic(SmtpSecurity security, int port, bool authenticates, bool expected)
        => Assert.Equal(expected, new SmtpTlsPolicy { Security = security }.IsOpportunistic(port, authenticates));

    [Fact]
    public void UseSslMeansRequiredStartTlsAndImplicitTlsOn465()
    {
        Assert.Equal(SmtpSecurity.StartTls, SmtpTlsPolicy.SecurityForUseSsl(587));
        Assert.Equal(SmtpSecurity.SslOnConnect, SmtpTlsPolicy.SecurityForUseSsl(465));
        Assert.Equal(465, new SmtpTlsPolicy { Security = SmtpSecurity.SslOnConnect }.EffectivePort(0));
        Assert.Equal(25, new SmtpTlsPolicy().EffectivePort(0));
    }

    [Fact]
    public void CredentialsWithoutTlsAreRefusedUnlessAllowed()
    {
        Assert.Contains("without TLS", new SmtpTlsPolicy().RefuseCredentials(secure: false, "mail:25"), StringComparison.Ordinal);
        Assert.Null(new SmtpTlsPolicy().RefuseCredentials(secure: true, "mail:587"));
        Assert.Null(new SmtpTlsPolicy { AllowUnencryptedAuthentication = true }.RefuseCredentials(secure: false, "mail:25"));
    }

    [Fact]
    public void RevocationIsAskedForUnlessPinnedSkippedOrOff()
    {
        Assert.True(new SmtpTlsPolicy().ChecksRevocation);
        Assert.True(new SmtpTlsPolicy { RevocationMode = CertificateRevocationMode.Strict }.ChecksRevocation);
        Assert.False(new SmtpTlsPolicy { RevocationMode = CertificateRevocationMode.NoCheck }.ChecksRevocation);
        Assert.False(new SmtpTlsPolicy { CertificateThumbprints = ["AB"] }.ChecksRevocation);
        Assert.False(new SmtpTlsPolicy { SkipCertificateCheck = true }.ChecksRevocation);
        Assert.NotNull(new SmtpTlsPolicy { SkipCertificateCheck = true, CertificateThumbprints = ["AB"] }.FindConflict());
        Assert.Null(new SmtpTlsPolicy { CertificateThumbprints = ["AB"] }.FindConflict());
    }

    [Fact]
    public void AnUntrustedCertificateIsRefusedWhenAuthenticatingAndUsedUnvalidatedWhenOpportunistic()
    {
        using var certificate = TestCertificates.CreateSelfSigned("mail.contoso.test");
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.False(chain.Build(certificate));
        var policy = new SmtpTlsPolicy();

        var refused = policy.Judge("mail.contoso.test", certificate, chain, SslPolicyErrors.RemoteCertificateChainErrors, opportunistic: false);
        var unvalidated = policy.Judge("mail.contoso.test", certificate, chain, SslPolicyErrors.RemoteCertificateChainErrors, opportunistic: true);
        var pinned = (policy with { CertificateThumbprints = [certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()] })
            .Judge("mail.contoso.test", certificate, chain, SslPolicyErrors.RemoteCertificateChainErrors, opportunistic: false);

        Assert.Equal(CertificateTrust.Refused, refused.Trust);
        Assert.Contains("self-signed", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(certificate.Thumbprint, refused.Advice, StringComparison.Ordinal);
        Assert.Equal(CertificateTrust.Unvalidated, unvalidated.Trust);
        Assert.True(unvalidated.WarrantsWarning);
        Assert.Equal(CertificateTrust.Pinned, pinned.Trust);
        Assert.False(pinned.WarrantsWarning);
    }

    [Fact]
    public void ExtraTrustedRootsAnchorAChainTheMachineDoesNotTrust()
    {
        using var authority = TestCertificates.CreateAuthority();
        using var leaf = TestCertificates.IssueServerCertificate(authority, ["mail.contoso.test"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.False(chain.Build(leaf));
        var policy = new SmtpTlsPolicy { RevocationMode = CertificateRevocationMode.NoCheck };

        var without = policy.Judge("mail.contoso.test", leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors, opportunistic: false);
        var with = (policy with { TrustedRoots = [authority] }).Judge("mail.contoso.test", leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors, opportunistic: false);
        var otherName = (policy with { TrustedRoots = [authority] }).Judge("smtp.fabrikam.test", leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch, opportunistic: false);

        Assert.Equal(CertificateTrust.Refused, without.Trust);
        Assert.Equal(CertificateTrust.Trusted, with.Trust);
        Assert.Empty(with.Problems);
        Assert.Equal(CertificateRevocationStatus.NotChecked, with.Revocation);
        Assert.Equal(["NameMismatch"], otherName.Problems);
        Assert.Contains("it does not name smtp.fabrikam.test (it names mail.contoso.test)", otherName.Reason, StringComparison.Ordinal);
    }
}
