using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>
/// Runs Debian's openssl (tests/rig/debian-packages.txt), the S/MIME implementation nobody here wrote, on what a test
/// server received. A missing openssl fails the test: it never skips.
/// </summary>
public static class OpenSslTool
{
    public const string Executable = "/usr/bin/openssl";

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install the Debian package openssl (tests/rig/debian-packages.txt).");
        }

        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
