using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll test-trust --out DIR</c>: a private CA for this test run and the trust bundle that makes a process trust it.</summary>
internal static class TestTrustCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers test-trust --out DIR [--smime ADDRESS]... [--ecdsa] [--pfx-password PASSWORD]
          Creates a private CA for a test run in DIR (ca.pem, ca.key.pem) and bundle.pem (the system's roots plus the CA),
          prints the bundle's path: a process started with SSL_CERT_FILE set to it trusts the CA.
          With --smime (the CA in DIR is reused when there is one): S/MIME certificates for each ADDRESS from an
          intermediate CA, in DIR/smime (ADDRESS.pfx with the intermediate, ADDRESS.pem, ADDRESS.key.pem; RSA, or ECDSA P-256).
        """;

    public static Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? folder = null;
        var smime = new List<string>();
        var ecdsa = false;
        string? pfxPassword = null;
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--out": folder = arguments.Value(); break;
                case "--smime": smime.Add(arguments.Value()); break;
                case "--ecdsa": ecdsa = true; break;
                case "--pfx-password": pfxPassword = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        var path = Path.GetFullPath(CommandLineArguments.Required(folder, "--out"));
        if (smime.Count > 0)
        {
            // The one line on stdout is the folder of the S/MIME certificates.
            Console.WriteLine(TestTrustStore.IssueSmimeCertificates(path, smime, ecdsa, pfxPassword));
            return Task.FromResult(0);
        }

        // The one line on stdout is the bundle's path: the test runner reads it into SSL_CERT_FILE.
        Console.WriteLine(TestTrustStore.Create(path));
        return Task.FromResult(0);
    }
}
