using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary><c>dotnet SmtpOps.TestServers.dll test-trust --out DIR</c>: a private CA for this test run and the trust bundle that makes a process trust it.</summary>
internal static class TestTrustCommand
{
    public const string Usage =
        """
        usage: SmtpOps.TestServers test-trust --out DIR
          Creates a private CA for a test run in DIR (ca.pem, ca.key.pem) and bundle.pem (the system's roots plus the CA),
          prints the bundle's path: a process started with SSL_CERT_FILE set to it trusts the CA.
        """;

    public static Task<int> RunAsync(CommandLineArguments arguments, CancellationToken stop)
    {
        string? folder = null;
        while (arguments.Next() is { } option)
        {
            switch (option)
            {
                case "--out": folder = arguments.Value(); break;
                default: throw arguments.Unknown();
            }
        }

        // The one line on stdout is the bundle's path: the test runner reads it into SSL_CERT_FILE.
        Console.WriteLine(TestTrustStore.Create(Path.GetFullPath(CommandLineArguments.Required(folder, "--out"))));
        return Task.FromResult(0);
    }
}
