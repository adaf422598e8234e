using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace SmtpOps.Tests.Spf;

/// <summary>
/// pyspf (Debian's python3-spf) as the reference: check_host() against the DNS test server, run by Debian's
/// own interpreter (/usr/bin/python3: the first python3 on PATH may not see Debian's modules).
/// </summary>
public static class Pyspf
{
    const string Python = "/usr/bin/python3";

    // Points whichever DNS library pyspf uses (dnspython, else pydns) at the test server only.
    const string Script = """
        import json, sys
        port = int(sys.argv[1])
        try:
            import dns.resolver
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = ['127.0.0.1']
            resolver.port = port
            dns.resolver.default_resolver = resolver
        except ImportError:
            pass
        import spf
        try:
            import DNS
            DNS.defaults['server'] = ['127.0.0.1']
            DNS.defaults['port'] = port
        except ImportError:
            pass
        answers = []
        for address, sender, helo in json.loads(sys.stdin.read()):
            result, code, explanation = spf.query(i=address, s=sender, h=helo).check()
            answers.append({'result': result, 'explanation': explanation})
        print(json.dumps(answers))
        """;

    /// <summary>Runs check_host() for each (address, sender, HELO) in one Python process (each start costs seconds on a loaded machine).</summary>
    public static async Task<IReadOnlyList<(string Result, string Explanation)>> CheckAsync(int dnsPort, IReadOnlyList<(string Address, string Sender, string Helo)> checks)
    {
        if (!File.Exists("/usr/lib/python3/dist-packages/spf.py"))
        {
            throw new InvalidOperationException("pyspf is missing: install Debian's python3-spf (tests/rig/debian-packages.txt; build.ps1 test installs it).");
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", Script, dnsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(checks.Select(c => new[] { c.Address, c.Sender, c.Helo })));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pyspf exited with {process.ExitCode}: {await error}");
        }

        using var json = JsonDocument.Parse(await output);
        return json.RootElement.EnumerateArray()
            .Select(a => (a.GetProperty("result").GetString()!, a.GetProperty("explanation").GetString() ?? string.Empty))
            .ToList();
    }
}
