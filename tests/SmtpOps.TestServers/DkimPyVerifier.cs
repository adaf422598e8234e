using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// Verifies DKIM signatures with Debian's python3-dkim (dkimpy), a verifier nobody here wrote, looking the key up in a
/// <see cref="TestDnsServer"/> through dnspython (its dnsfunc hook): what a receiving server would conclude.
/// The package is in tests/rig/debian-packages.txt; without it every verification fails, never skips.
/// </summary>
public static class DkimPyVerifier
{
    // /usr/bin/python3: the python3 first on PATH may be another interpreter that does not see Debian's modules.
    public const string Python = "/usr/bin/python3";

    const string Script = """
        import sys, logging, dkim, dns.message, dns.query
        host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        def txt(name, timeout=5):
            query = dns.message.make_query(name.decode('ascii'), 'TXT')
            answer, _ = dns.query.udp_with_fallback(query, host, port=port, timeout=timeout)
            for rrset in answer.answer:
                for rdata in rrset:
                    return b''.join(rdata.strings)
            return None
        logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format='%(message)s')
        data = open(path, 'rb').read()
        verifier = dkim.DKIM(data, logger=logging.getLogger('dkim'))
        ok = verifier.verify(dnsfunc=txt)
        print('pass' if ok else 'fail')
        sys.exit(0 if ok else 1)
        """;

    /// <summary>The verdict and dkimpy's own words.</summary>
    public sealed record Verdict(bool Passed, string Output);

    /// <summary>Verifies the first DKIM-Signature of a message as received.</summary>
    public static async Task<Verdict> VerifyAsync(byte[] message, IPEndPoint dnsServer)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: install python3-dkim (tests/rig/debian-packages.txt).");
        }

        var path = Path.Combine(Path.GetTempPath(), $"dkim-{Guid.NewGuid():N}.eml");
        await File.WriteAllBytesAsync(path, message);
        try
        {
            var start = new ProcessStartInfo(Python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add(dnsServer.Address.ToString());
            start.ArgumentList.Add(dnsServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(path);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Python} did not start.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var output = (await stdout) + (await stderr);
            if (output.Contains("ModuleNotFoundError", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"dkimpy or dnspython is missing: install python3-dkim (tests/rig/debian-packages.txt). {output}");
            }

            return new Verdict(process.ExitCode == 0 && output.StartsWith("pass", StringComparison.Ordinal), output);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
