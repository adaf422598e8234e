using System;
using System.Collections.Generic;
using System.Linq;

namespace SmtpOps.Probing;

/// <summary>What a probe has seen so far, recorded by <see cref="SmtpProbe"/>; <see cref="ProbeJudge"/> judges it into checks.</summary>
internal sealed class ProbeObservation
{
    public ProbeObservation(SmtpProbeOptions options) => Options = options;

    public SmtpProbeOptions Options { get; }

    public string? Address { get; set; }

    public bool Connected { get; set; }

    public SmtpReply? Banner { get; set; }

    public SmtpReply? Ehlo { get; set; }

    public IReadOnlyList<string> ExtensionsBeforeTls { get; set; } = Array.Empty<string>();

    public IReadOnlyList<string> ExtensionsAfterTls { get; set; } = Array.Empty<string>();

    public bool ImplicitTls { get; set; }

    public bool StartTlsOffered { get; set; }

    public bool StartTlsSkipped { get; set; }

    public bool TlsEstablished { get; set; }

    public bool StartTlsInjection { get; set; }

    public string? TlsProtocol { get; set; }

    public string? CipherSuite { get; set; }

    public ProbeCertificate? Certificate { get; set; }

    public IReadOnlyList<TlsOffer> TlsVersions { get; set; } = Array.Empty<TlsOffer>();

    public IReadOnlyList<TlsOffer> CipherClasses { get; set; } = Array.Empty<TlsOffer>();

    public TimeSpan? TlsScanTime { get; set; }

    public SmtpReply? AuthReply { get; set; }

    public string? AuthMechanism { get; set; }

    public string? AuthNotAttempted { get; set; }

    public SmtpReply? RecipientReply { get; set; }

    public SmtpReply? RelayReply { get; set; }

    public ProbeStage? FailedStage { get; set; }

    public ProbeFailure Failure { get; set; }

    public string? Error { get; set; }

    public TimeSpan? Connect { get; set; }

    public TimeSpan? BannerTime { get; set; }

    public TimeSpan? EhloTime { get; set; }

    public TimeSpan? TlsTime { get; set; }

    public TimeSpan? AuthTime { get; set; }

    public TimeSpan? RecipientTime { get; set; }

    public IReadOnlyList<string> FinalExtensions => TlsEstablished && !ImplicitTls ? ExtensionsAfterTls : ExtensionsBeforeTls;

    public static IReadOnlyList<string> AuthMechanismsOf(IReadOnlyList<string> extensions)
        => extensions
            .Where(e => e.StartsWith("AUTH ", StringComparison.OrdinalIgnoreCase) || e.StartsWith("AUTH=", StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Substring(5).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            .Select(m => m.ToUpperInvariant())
            .Distinct()
            .ToList();

    /// <summary>Gets the first word of the greeting, where servers name themselves, or <c>null</c>.</summary>
    public string? BannerHostName
    {
        get
        {
            var first = Banner?.Lines.FirstOrDefault();
            var word = first?.Split(' ').FirstOrDefault();
            return string.IsNullOrEmpty(word) ? null : word;
        }
    }
}
