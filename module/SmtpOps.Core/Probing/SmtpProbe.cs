using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailKit.Security;
using SmtpOps.Smtp;
using TlsAuthenticationException = System.Security.Authentication.AuthenticationException;

namespace SmtpOps.Probing;

/// <summary>
/// Probes one SMTP endpoint the way swaks, testssl.sh and MXToolbox would, and judges what it
/// finds: banner, EHLO before and after TLS, TLS and certificate, AUTH offered and (optionally)
/// tried, a recipient test and an open-relay test that end with RSET. It never sends a message
/// and never waits longer than the timeout for any answer.
/// </summary>
public sealed class SmtpProbe
{
    // RFC 2606 names: a relay test must use domains the probed server has no business accepting.
    private const string RelayTestSender = "relay-test@smtpops-probe.example";
    private const string RelayTestRecipient = "relay-test@smtpops-probe.example.net";

    private static readonly string[] PasswordMechanisms = { "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN", "CRAM-MD5" };

    /// <summary>Probes the endpoint. Failures of the server are reported in the result's checks, not thrown.</summary>
    /// <param name="options">What to probe.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>The findings with a verdict per check.</returns>
    /// <exception cref="Messages.MessageValidationException">An option would inject a command (see <see cref="SmtpProbeOptions.Validate"/>); nothing connected.</exception>
    public async Task<SmtpProbeResult> ProbeAsync(SmtpProbeOptions options, CancellationToken cancellationToken = default)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        options.Validate();
        var total = Stopwatch.StartNew();
        var seen = new ProbeObservation(options);
        // Concurrent probes may share one transcript file: open it shared, and tag every line with the endpoint.
        using var transcript = options.TranscriptPath is null ? null : new StreamWriter(new FileStream(options.TranscriptPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var stage = ProbeStage.Connect;
        IPAddress? address = null;
        try
        {
            address = await ResolveAsync(options, cancellationToken).ConfigureAwait(false);
            seen.Address = address.ToString();
            var clock = Stopwatch.StartNew();
            using var dialogue = await SmtpDialogue.ConnectAsync(address, options.Port, options.Timeout, transcript, $"[{options.Host}:{options.Port}]", cancellationToken).ConfigureAwait(false);
            seen.Connected = true;
            seen.Connect = clock.Elapsed;

            seen.ImplicitTls = options.Tls.ResolveSecurity(options.Port) == SmtpSecurity.SslOnConnect;
            if (seen.ImplicitTls)
            {
                stage = ProbeStage.Tls;
                await StartTlsAsync(dialogue, seen, cancellationToken).ConfigureAwait(false);
            }

            stage = ProbeStage.Banner;
            clock.Restart();
            seen.Banner = await dialogue.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
            seen.BannerTime = clock.Elapsed;
            if (seen.Banner.Code != 220)
            {
                await QuitAsync(dialogue, cancellationToken).ConfigureAwait(false);
                return ProbeJudge.Judge(seen, total.Elapsed);
            }

            stage = ProbeStage.Ehlo;
            clock.Restart();
            seen.Ehlo = await dialogue.CommandAsync($"EHLO {HeloName(options)}", cancellationToken).ConfigureAwait(false);
            seen.EhloTime = clock.Elapsed;
            if (!seen.Ehlo.IsPositive)
            {
                await QuitAsync(dialogue, cancellationToken).ConfigureAwait(false);
                return ProbeJudge.Judge(seen, total.Elapsed);
            }

            seen.ExtensionsBeforeTls = seen.Ehlo.Lines.Skip(1).ToList();
            seen.StartTlsOffered = seen.ExtensionsBeforeTls.Any(e => e.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase));
            if (!seen.ImplicitTls && seen.StartTlsOffered && options.Tls.Security == SmtpSecurity.None)
            {
                seen.StartTlsSkipped = true;
            }
            else if (!seen.ImplicitTls && seen.StartTlsOffered)
            {
                stage = ProbeStage.StartTls;
                var ready = await dialogue.CommandAsync("STARTTLS", cancellationToken).ConfigureAwait(false);
                if (ready.Code != 220)
                {
                    seen.Failure = ProbeFailure.ServiceRefused;
                    seen.Error = $"STARTTLS refused: {ready}";
                    await QuitAsync(dialogue, cancellationToken).ConfigureAwait(false);
                    return ProbeJudge.Judge(seen, total.Elapsed);
                }

                stage = ProbeStage.Tls;
                await StartTlsAsync(dialogue, seen, cancellationToken).ConfigureAwait(false);
                stage = ProbeStage.EhloAfterTls;
                var again = await dialogue.CommandAsync($"EHLO {HeloName(options)}", cancellationToken).ConfigureAwait(false);
                seen.ExtensionsAfterTls = again.Lines.Skip(1).ToList();
            }
            else if (options.Tls.Security == SmtpSecurity.None)
            {
                seen.StartTlsSkipped = true;
            }

            if (options.TestOpenRelay)
            {
                stage = ProbeStage.OpenRelayTest;
                seen.RelayReply = await TryRecipientAsync(dialogue, RelayTestSender, RelayTestRecipient, cancellationToken).ConfigureAwait(false);
            }

            if (options.Credential is { } credential)
            {
                stage = ProbeStage.Auth;
                clock.Restart();
                await AuthenticateAsync(dialogue, seen, credential, cancellationToken).ConfigureAwait(false);
                seen.AuthTime = seen.AuthReply is null ? null : clock.Elapsed;
            }

            if (options.To is { } to)
            {
                stage = ProbeStage.RecipientTest;
                clock.Restart();
                seen.RecipientReply = await TryRecipientAsync(dialogue, options.From ?? string.Empty, to, cancellationToken).ConfigureAwait(false);
                seen.RecipientTime = clock.Elapsed;
            }

            stage = ProbeStage.Quit;
            await QuitAsync(dialogue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsServerFailure(ex))
        {
            seen.FailedStage = stage;
            seen.Error = Describe(ex);
            seen.Failure = ex switch
            {
                TimeoutException => ProbeFailure.Timeout,
                TlsAuthenticationException => ProbeFailure.TlsFailure,
                _ when !seen.Connected => ProbeFailure.Unreachable,
                _ when stage == ProbeStage.Tls => ProbeFailure.TlsFailure,
                _ => ProbeFailure.ProtocolViolation,
            };
        }

        // After the main dialogue, on connections of their own: also when the system's handshake failed, to name the cause.
        if (options.ScanTls && address is not null && (seen.ImplicitTls || (seen.StartTlsOffered && !seen.StartTlsSkipped)))
        {
            var clock = Stopwatch.StartNew();
            (seen.TlsVersions, seen.CipherClasses) = await TlsOfferScan.RunAsync(address, options, seen.ImplicitTls, cancellationToken).ConfigureAwait(false);
            seen.TlsScanTime = clock.Elapsed;
        }

        return ProbeJudge.Judge(seen, total.Elapsed);
    }

    private static async Task<IPAddress> ResolveAsync(SmtpProbeOptions options, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(options.Address ?? options.Host, out var literal))
        {
            return literal;
        }

        var lookup = System.Net.Dns.GetHostAddressesAsync(options.Host);
        var finished = await Task.WhenAny(lookup, Task.Delay(options.Timeout, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (finished != lookup)
        {
            throw new TimeoutException($"{options.Host} did not resolve within {options.Timeout.TotalSeconds:0.#} s.");
        }

        var addresses = await lookup.ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
    }

    private static async Task StartTlsAsync(SmtpDialogue dialogue, ProbeObservation seen, CancellationToken cancellationToken)
    {
        var options = seen.Options;
        var opportunistic = options.Tls.IsOpportunistic(options.Port, options.Credential is not null);
        bool Inspect(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is not null)
            {
                // The decision a send with the same settings would make; the probe goes on either way to see the rest.
                var decision = options.Tls.Judge(options.Host, certificate, chain, errors, opportunistic);
                seen.Certificate = CertificateEvaluation.Evaluate(certificate, decision, DateTimeOffset.UtcNow);
            }

            return true;
        }

        var clock = Stopwatch.StartNew();
        await dialogue.StartTlsAsync(options.Host, Inspect, options.Tls.ChecksRevocation, cancellationToken).ConfigureAwait(false);
        seen.TlsTime = clock.Elapsed;
        seen.TlsEstablished = true;
        seen.StartTlsInjection = dialogue.PlaintextAfterStartTls;
        var tls = dialogue.Tls!;
        seen.TlsProtocol = tls.SslProtocol.ToString();

        // The IANA suite name exists on .NET Core 3+ only; Windows PowerShell reports the parts.
        seen.CipherSuite = typeof(SslStream).GetProperty("NegotiatedCipherSuite")?.GetValue(tls)?.ToString()
            ?? $"{tls.CipherAlgorithm} {tls.CipherStrength}-bit, {tls.HashAlgorithm}, {tls.KeyExchangeAlgorithm}";
    }

    private static async Task AuthenticateAsync(SmtpDialogue dialogue, ProbeObservation seen, SmtpCredential credential, CancellationToken cancellationToken)
    {
        var options = seen.Options;
        var offered = ProbeObservation.AuthMechanismsOf(seen.FinalExtensions);
        if (offered.Count == 0)
        {
            seen.AuthNotAttempted = "the server offers no AUTH";
            return;
        }

        if (!seen.TlsEstablished)
        {
            seen.AuthNotAttempted = "no TLS: credentials are never sent in clear";
            return;
        }

        if (seen.Certificate is { Decision.Accepted: false } certificate)
        {
            seen.AuthNotAttempted = $"the certificate is refused ({certificate.Decision.Reason}), so the server may not be who it claims and credentials are not sent";
            return;
        }

        SaslMechanism? mechanism = credential.IsAccessToken
            ? offered.Contains("XOAUTH2") ? new SaslMechanismOAuth2(credential.UserName, credential.Secret) : null
            : PasswordMechanisms.Where(offered.Contains).Select(name => SaslMechanism.Create(name, new NetworkCredential(credential.UserName, credential.Secret))).FirstOrDefault();
        if (mechanism is null)
        {
            seen.AuthNotAttempted = $"no mechanism in common (offered: {string.Join(" ", offered)})";
            return;
        }

        seen.AuthMechanism = mechanism.MechanismName;
        var initial = mechanism.SupportsInitialResponse ? await mechanism.ChallengeAsync(null, cancellationToken).ConfigureAwait(false) : null;
        var reply = await dialogue.CommandAsync($"AUTH {mechanism.MechanismName}{(initial is null ? string.Empty : " " + initial)}", cancellationToken, redact: true).ConfigureAwait(false);
        for (var round = 0; reply.Code == 334 && round < 10; round++)
        {
            // After the final response (XOAUTH2 errors come as a 334 challenge) the client sends an empty line.
            var response = mechanism.IsAuthenticated ? string.Empty : await mechanism.ChallengeAsync(reply.Text, cancellationToken).ConfigureAwait(false);
            reply = await dialogue.CommandAsync(response, cancellationToken, redact: true).ConfigureAwait(false);
        }

        seen.AuthReply = reply;
    }

    private static async Task<SmtpReply> TryRecipientAsync(SmtpDialogue dialogue, string from, string to, CancellationToken cancellationToken)
    {
        var mail = await dialogue.CommandAsync($"MAIL FROM:<{from}>", cancellationToken).ConfigureAwait(false);
        var reply = mail.IsPositive ? await dialogue.CommandAsync($"RCPT TO:<{to}>", cancellationToken).ConfigureAwait(false) : mail;
        await dialogue.CommandAsync("RSET", cancellationToken).ConfigureAwait(false);
        return reply;
    }

    private static async Task QuitAsync(SmtpDialogue dialogue, CancellationToken cancellationToken)
    {
        try
        {
            // The 221 is waited for although nothing judges it: RFC 5321 4.1.1.10 asks the client to, and a probe
            // that drops the connection after QUIT leaves "lost connection" lines in the server's log. It costs one
            // round trip of the probe's six.
            await dialogue.CommandAsync("QUIT", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsServerFailure(ex))
        {
            // Saying goodbye is a courtesy; a server that hangs up first has told us nothing new.
        }
    }

    internal static string HeloName(SmtpProbeOptions options)
        => string.IsNullOrEmpty(options.HeloName) ? Environment.MachineName.ToLowerInvariant() : options.HeloName!;

    private static bool IsServerFailure(Exception exception)
        => exception is IOException or SocketException or TimeoutException or InvalidDataException or TlsAuthenticationException or ObjectDisposedException or OperationCanceledException;

    private static string Describe(Exception exception) => exception switch
    {
        TimeoutException timeout => timeout.Message,
        InvalidDataException garbage => $"not an SMTP server: {garbage.Message}",
        TlsAuthenticationException tls => $"TLS handshake failed: {tls.InnerException?.Message ?? tls.Message}",
        _ => exception.Message,
    };
}
