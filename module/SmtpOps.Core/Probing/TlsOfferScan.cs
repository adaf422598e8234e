using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace SmtpOps.Probing;

/// <summary>
/// The probe's extra handshakes, as testssl.sh makes them but a few instead of hundreds: one per TLS version (1.0 to 1.3)
/// and one per class of cipher suites (anonymous, NULL, forward secret, AEAD), each on its own connection (after EHLO
/// and STARTTLS unless TLS is implicit), all at once, then closed. They are BouncyCastle's (Org.BouncyCastle.Tls), not
/// the system's: OpenSSL 3 refuses TLS 1.0/1.1 and weak suites at its security level, so SslStream could not offer
/// them, and a server that offers them would look clean.
/// </summary>
internal static class TlsOfferScan
{
    private static readonly ProtocolVersion[] UpToTls12 = ProtocolVersion.TLSv12.DownTo(ProtocolVersion.TLSv10);
    private static readonly ProtocolVersion[] UpToTls13 = ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv10);

    /// <summary>Gets the class names, in the order they are reported.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[] { "Anonymous", "NULL", "Export", "Forward secrecy", "AEAD" };

    /// <summary>Runs every handshake against the endpoint.</summary>
    /// <param name="address">The address the probe connected to.</param>
    /// <param name="options">The probe's options (host for SNI, port, timeout, EHLO name).</param>
    /// <param name="implicitTls">Whether TLS starts with the first byte (465) rather than after STARTTLS.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>What each version and each class got.</returns>
    public static async Task<(IReadOnlyList<TlsOffer> Versions, IReadOnlyList<TlsOffer> Classes)> RunAsync(IPAddress address, SmtpProbeOptions options, bool implicitTls, CancellationToken cancellationToken)
    {
        var crypto = new BcTlsCrypto(new SecureRandom());
        Task<TlsOffer> Try(string name, ProtocolVersion[] versions, Func<string, bool> inClass)
            => TryAsync(address, options, implicitTls, name, versions, CipherSuiteCatalog.Select(crypto, versions, inClass), cancellationToken);

        // First every version and the two classes that are bad when offered, at once.
        var versions = new[]
        {
            Try("TLS 1.0", ProtocolVersion.TLSv10.Only(), CipherSuiteCatalog.IsAuthenticatedEncryption),
            Try("TLS 1.1", ProtocolVersion.TLSv11.Only(), CipherSuiteCatalog.IsAuthenticatedEncryption),
            Try("TLS 1.2", ProtocolVersion.TLSv12.Only(), CipherSuiteCatalog.IsAuthenticatedEncryption),
            Try("TLS 1.3", ProtocolVersion.TLSv13.Only(), CipherSuiteCatalog.IsAuthenticatedEncryption),
        };
        var anonymous = Try("Anonymous", UpToTls12, CipherSuiteCatalog.IsAnonymous);
        var nullEncryption = Try("NULL", UpToTls12, CipherSuiteCatalog.IsNullEncryption);
        await Task.WhenAll(versions.Append(anonymous).Append(nullEncryption)).ConfigureAwait(false);

        // Forward secrecy and AEAD are usually proven by what a version handshake chose (the server's preference, e.g.
        // TLS 1.3, or ECDHE with GCM); only a server that prefers otherwise costs a handshake restricted to the class.
        var chosen = versions.Select(t => t.Result).Where(v => v.Status == TlsOfferStatus.Offered && v.CipherSuite is not null).ToList();
        Task<TlsOffer> Proven(string name, Func<string, bool> inClass, ProtocolVersion[] range)
            => chosen.FirstOrDefault(v => inClass(v.CipherSuite!)) is { } proof
                ? Task.FromResult(new TlsOffer { Name = name, Status = TlsOfferStatus.Offered, Protocol = proof.Protocol, CipherSuite = proof.CipherSuite, Detail = proof.Detail })
                : Try(name, range, inClass);
        var forwardSecrecy = Proven("Forward secrecy", CipherSuiteCatalog.IsForwardSecret, UpToTls13);
        var aead = Proven("AEAD", CipherSuiteCatalog.IsAead, UpToTls13);
        await Task.WhenAll(forwardSecrecy, aead).ConfigureAwait(false);
        var classes = new[]
        {
            anonymous,
            nullEncryption,
            Task.FromResult(new TlsOffer { Name = "Export", Status = TlsOfferStatus.NotTested, Detail = "no TLS library here implements export suites (removed from OpenSSL 1.1 and BouncyCastle; forbidden since TLS 1.1)" }),
            forwardSecrecy,
            aead,
        };
        return (versions.Select(t => t.Result).ToList(), classes.Select(t => t.Result).ToList());
    }

    private static async Task<TlsOffer> TryAsync(IPAddress address, SmtpProbeOptions options, bool implicitTls, string name, ProtocolVersion[] versions, int[] suites, CancellationToken cancellationToken)
    {
        if (suites.Length == 0)
        {
            return new TlsOffer { Name = name, Status = TlsOfferStatus.NotTested, Detail = "BouncyCastle has no suite of this kind" };
        }

        try
        {
            using var dialogue = await SmtpDialogue.ConnectAsync(address, options.Port, options.Timeout, null, string.Empty, cancellationToken).ConfigureAwait(false);
            if (!implicitTls)
            {
                var banner = await dialogue.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                var ehlo = banner.Code == 220 ? await dialogue.CommandAsync($"EHLO {SmtpProbe.HeloName(options)}", cancellationToken).ConfigureAwait(false) : banner;
                var ready = ehlo.IsPositive ? await dialogue.CommandAsync("STARTTLS", cancellationToken).ConfigureAwait(false) : ehlo;
                if (ready.Code != 220)
                {
                    return new TlsOffer { Name = name, Status = TlsOfferStatus.Unknown, Detail = $"no STARTTLS on this connection: {ready}" };
                }
            }

            var client = new RestrictedTlsClient(versions, suites, options.Host);
            var failure = await dialogue.HandshakeAsync(
                stream =>
                {
                    try
                    {
                        var protocol = new TlsClientProtocol(stream);
                        protocol.Connect(client);
                        protocol.Close();
                        return null;
                    }
                    catch (IOException ex)
                    {
                        // BouncyCastle's TlsException is an IOException: an alert, or the server hanging up.
                        return ex;
                    }
                },
                cancellationToken).ConfigureAwait(false);
            return Classify(name, client, failure);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is IOException or SocketException or TimeoutException or InvalidDataException or ObjectDisposedException)
        {
            return new TlsOffer { Name = name, Status = TlsOfferStatus.Unknown, Detail = ex.Message };
        }
    }

    private static TlsOffer Classify(string name, RestrictedTlsClient client, IOException? failure)
    {
        if (client.SelectedSuite is { } suite)
        {
            var suiteName = CipherSuiteCatalog.NameOf(suite);
            return new TlsOffer
            {
                Name = name,
                Status = TlsOfferStatus.Offered,
                Protocol = client.ServerVersion?.ToString(),
                CipherSuite = suiteName,
                Detail = $"{client.ServerVersion} {suiteName}{(failure is null ? string.Empty : $" (the handshake then stopped: {Describe(failure)})")}",
            };
        }

        return new TlsOffer { Name = name, Status = TlsOfferStatus.NotOffered, Detail = failure is null ? "no suite chosen" : Describe(failure) };
    }

    private static string Describe(IOException failure) => failure switch
    {
        TlsFatalAlertReceived received => $"the server refused: {AlertDescription.GetText(received.AlertDescription)}",
        TlsFatalAlert alert => $"the server's answer was refused: {AlertDescription.GetText(alert.AlertDescription)}",
        EndOfStreamException => "the server closed the connection",
        _ => failure.Message,
    };
}
