using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Org.BouncyCastle.Tls;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll legacy-tls-smtp --profile weak|tls10-only|modern [--cn-only] [--ready-file PATH]</c>.</summary>
internal static class LegacyTlsSmtpCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers legacy-tls-smtp --profile weak|tls10-only|modern [--cn-only] [--ready-file PATH]
          Runs an ESMTP server on 127.0.0.1 whose STARTTLS is BouncyCastle's TLS (not this machine's OpenSSL) until SIGTERM
          or Ctrl+C. weak: TLS 1.0 to 1.2 with only TLS_RSA_WITH_AES_128_CBC_SHA (CBC, no forward secrecy),
          TLS_DH_anon_WITH_AES_128_CBC_SHA (anonymous) and TLS_RSA_WITH_NULL_SHA (no encryption). tls10-only: TLS 1.0
          with BouncyCastle's default suites. modern: TLS 1.2 with BouncyCastle's default suites (ECDHE, AEAD), which this
          machine's TLS library accepts (for --cn-only). The certificate (localhost, 127.0.0.1) is issued by a new test CA;
          --cn-only names localhost in its subject CN only, with no subjectAltName.
          --ready-file receives {"port","pid","certificateThumbprint","certificateSha256","caCertificatePath"} once listening.
        """;

    public static async Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? profile = null;
        var commonNameOnly = false;
        string? readyFile = null;
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--profile": profile = arguments.OneOf(["weak", "tls10-only", "modern"]); break;
                case "--cn-only": commonNameOnly = true; break;
                case "--ready-file": readyFile = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var options = CommandLineArguments.Required(profile, "--profile") switch
        {
            "weak" => new LegacyTlsSmtpServerOptions
            {
                Versions = ProtocolVersion.TLSv12.DownTo(ProtocolVersion.TLSv10),
                CipherSuites = [CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_DH_anon_WITH_AES_128_CBC_SHA, CipherSuite.TLS_RSA_WITH_NULL_SHA],
            },
            "tls10-only" => new LegacyTlsSmtpServerOptions { Versions = ProtocolVersion.TLSv10.Only() },
            _ => new LegacyTlsSmtpServerOptions { Versions = ProtocolVersion.TLSv12.Only() },
        };
        using var authority = TestCertificates.CreateAuthority();
        var now = DateTimeOffset.UtcNow;
        using var certificate = commonNameOnly
            ? TestCertificates.IssueCommonNameOnlyCertificate(authority, "localhost")
            : TestCertificates.IssueServerCertificate(authority, ["localhost", "127.0.0.1"], now.AddDays(-1), now.AddDays(90));
        await using var server = LegacyTlsSmtpServer.Start(options with { Certificate = certificate });
        if (readyFile is not null)
        {
            var caCertificatePath = Path.ChangeExtension(Path.GetFullPath(readyFile), ".ca.pem");
            Directory.CreateDirectory(Path.GetDirectoryName(caCertificatePath)!);
            await File.WriteAllTextAsync(caCertificatePath, authority.ExportCertificatePem() + "\n", stop).ConfigureAwait(false);
            Program.WriteReadyFile(readyFile, server.Port, certificate, caCertificatePath);
        }

        await Program.RunUntilStoppedAsync("legacy-tls-smtp", server.Port, stop).ConfigureAwait(false);
        return 0;
    }
}
