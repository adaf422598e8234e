using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>The arguments of <c>scripted-smtp</c>: server options plus the certificates created for them.</summary>
internal sealed class ScriptedSmtpCommandLine
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers scripted-smtp --ready-file PATH [--port N]
                 [--banner-code N] [--banner-text TEXT] [--banner-delay-ms N] [--tarpit | --garbage]
                 [--starttls | --implicit-tls] [--cert-kind valid|expired|mismatch|self-signed|revoked|crl-good|crl-unreachable] [--ca DIR]
                 [--user NAME:PASSWORD]... [--oauth USER:TOKEN]... [--auth-mechanism NAME]... [--auth-before-tls] [--require-auth]
                 [--accepted-domain DOMAIN]... [--reject ADDRESS]... [--fail-data N] [--drop-data N] [--extension LINE]...
          Runs a scripted SMTP server (fault injection, probing) on 127.0.0.1 until SIGTERM or Ctrl+C.
          --ready-file receives {"port","pid","certificateThumbprint","certificateSha256","caCertificatePath"} once listening.
          --cert-kind (default self-signed): valid, expired and mismatch leaves are issued by a new test CA whose certificate
          is written as PEM beside the ready file (NAME.ca.pem); valid names localhost and 127.0.0.1, expired ended yesterday,
          mismatch names only wrong.example. revoked names a CRL that this process serves on 127.0.0.1 and that revokes it,
          crl-good one that does not;
          crl-unreachable names a CRL distribution point where nothing listens. --ca DIR issues from the CA in DIR
          (made by test-trust) instead of a new one. --extension replaces the default EHLO extensions.
        """;

    static readonly string[] CertificateKinds = ["valid", "expired", "mismatch", "self-signed", "revoked", "crl-good", "crl-unreachable"];

    public required ScriptedSmtpServerOptions Options { get; init; }

    public required string ReadyFile { get; init; }

    /// <summary>The server certificate (STARTTLS or implicit TLS), or null.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The test CA that issued <see cref="Certificate"/>, or null for a self-signed certificate or no TLS.</summary>
    public X509Certificate2? Authority { get; init; }

    /// <summary>The CRL served for a revoked certificate, or null.</summary>
    public CrlServer? Crl { get; init; }

    /// <summary>Runs the scripted server the arguments describe until <paramref name="stop"/>.</summary>
    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        var command = Read(arguments);
        using var certificate = command.Certificate;
        using var authority = command.Authority;
        await using var crl = command.Crl;
        await using var server = await ScriptedSmtpServer.StartAsync(command.Options, stop).ConfigureAwait(false);
        string? caCertificatePath = null;
        if (authority is not null)
        {
            caCertificatePath = Path.ChangeExtension(Path.GetFullPath(command.ReadyFile), ".ca.pem");
            Directory.CreateDirectory(Path.GetDirectoryName(caCertificatePath)!);
            await File.WriteAllTextAsync(caCertificatePath, authority.ExportCertificatePem() + "\n", stop).ConfigureAwait(false);
        }

        Program.WriteReadyFile(command.ReadyFile, server.Port, certificate, caCertificatePath);
        await Program.RunUntilStoppedAsync("scripted-smtp", server.Port, stop).ConfigureAwait(false);
        return 0;
    }

    /// <exception cref="CommandLineException">The arguments are invalid.</exception>
    public static ScriptedSmtpCommandLine Read(CommandLineArguments arguments)
    {
        string? readyFile = null;
        string? certificateKind = null;
        string? authorityFolder = null;
        bool startTls = false, implicitTls = false, tarpit = false, garbage = false, authBeforeTls = false, requireAuth = false;
        int port = 0, bannerCode = 220, bannerDelay = 0, failData = 0, dropData = 0;
        string? bannerText = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        var mechanisms = new List<string>();
        var domains = new List<string>();
        var rejects = new List<string>();
        var extensions = new List<string>();
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--ready-file": readyFile = arguments.Value(); break;
                case "--port": port = arguments.Port(); break;
                case "--banner-code": bannerCode = arguments.Number(); break;
                case "--banner-text": bannerText = arguments.Value(); break;
                case "--banner-delay-ms": bannerDelay = arguments.Number(); break;
                case "--tarpit": tarpit = true; break;
                case "--garbage": garbage = true; break;
                case "--starttls": startTls = true; break;
                case "--implicit-tls": implicitTls = true; break;
                case "--cert-kind": certificateKind = arguments.OneOf(CertificateKinds); break;
                case "--ca": authorityFolder = arguments.Value(); break;
                case "--user": Add(users, arguments.Pair("NAME:SECRET")); break;
                case "--oauth": Add(tokens, arguments.Pair("NAME:SECRET")); break;
                case "--auth-mechanism": mechanisms.Add(arguments.Value()); break;
                case "--auth-before-tls": authBeforeTls = true; break;
                case "--require-auth": requireAuth = true; break;
                case "--accepted-domain": domains.Add(arguments.Value()); break;
                case "--reject": rejects.Add(arguments.Value()); break;
                case "--fail-data": failData = arguments.Number(); break;
                case "--drop-data": dropData = arguments.Number(); break;
                case "--extension": extensions.Add(arguments.Value()); break;
                default: throw arguments.Unknown();
            }
        }

        readyFile = CommandLineArguments.Required(readyFile, "--ready-file");
        if (startTls && implicitTls)
        {
            throw new CommandLineException("--starttls and --implicit-tls exclude each other.");
        }

        if (certificateKind is not null && !startTls && !implicitTls)
        {
            throw new CommandLineException("--cert-kind needs --starttls or --implicit-tls.");
        }

        var (certificate, authority, crl) = startTls || implicitTls ? CreateCertificate(certificateKind ?? "self-signed", authorityFolder) : (null, null, null);
        var options = new ScriptedSmtpServerOptions
        {
            Port = port,
            BannerCode = bannerCode,
            BannerText = bannerText ?? new ScriptedSmtpServerOptions().BannerText,
            BannerDelay = TimeSpan.FromMilliseconds(bannerDelay),
            Tarpit = tarpit,
            Garbage = garbage,
            StartTlsCertificate = startTls ? certificate : null,
            ImplicitTlsCertificate = implicitTls ? certificate : null,
            AuthMechanisms = mechanisms.Count > 0 ? mechanisms : null,
            AdvertiseAuthBeforeTls = authBeforeTls,
            RequireAuthentication = requireAuth,
            Users = users.Count > 0 ? users : null,
            OAuthTokens = tokens.Count > 0 ? tokens : null,
            AcceptedDomains = domains.Count > 0 ? domains : null,
            RejectRecipients = rejects,
            FailDataTimes = failData,
            DropDuringDataTimes = dropData,
            Extensions = extensions.Count > 0 ? extensions : ScriptedSmtpServerOptions.DefaultExtensions,
        };
        return new ScriptedSmtpCommandLine
        {
            Options = options,
            ReadyFile = readyFile,
            Certificate = certificate,
            Crl = crl,
            Authority = authority,
        };
    }

    static void Add(Dictionary<string, string> pairs, (string Name, string Secret) pair) => pairs[pair.Name] = pair.Secret;

    static (X509Certificate2 Certificate, X509Certificate2? Authority, CrlServer? Crl) CreateCertificate(string kind, string? authorityFolder)
    {
        if (kind == "self-signed")
        {
            return (TestCertificates.CreateSelfSigned("localhost"), null, null);
        }

        var now = DateTimeOffset.UtcNow;
        var local = new[] { "localhost", "127.0.0.1" };
        var (names, notBefore, notAfter) = kind switch
        {
            "valid" or "revoked" or "crl-good" or "crl-unreachable" => (local, now.AddDays(-1), now.AddDays(30)),
            "expired" => (local, now.AddDays(-30), now.AddDays(-1)),
            "mismatch" => (new[] { "wrong.example" }, now.AddDays(-1), now.AddDays(30)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not one of " + string.Join(", ", CertificateKinds)),
        };
        var authority = authorityFolder is null ? TestCertificates.CreateAuthority() : TestTrustStore.Load(authorityFolder);
        if (kind is not ("revoked" or "crl-good"))
        {
            var crlUrl = kind == "crl-unreachable" ? CrlServer.UnreachableUrl() : null;
            return (TestCertificates.IssueServerCertificate(authority, names, notBefore, notAfter, crlUrl), authority, null);
        }

        // The leaf names the CRL, and the CRL (for revoked) names the leaf.
        var server = CrlServer.Start();
        var leaf = TestCertificates.IssueServerCertificate(authority, names, notBefore, notAfter, server.Url);
        server.Publish(kind == "revoked" ? TestCertificates.CreateRevocationList(authority, leaf) : TestCertificates.CreateRevocationList(authority));
        return (leaf, authority, server);
    }
}
