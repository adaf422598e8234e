using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace SmtpOps.Relay.Tests;

/// <summary>SmtpOps.Relay.LocalHost (the WebJobs SDK host) as a child process, configured by environment variables, its console captured.</summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly Process process;

    private LocalHostProcess(Process process) => this.process = process;

    /// <summary>Gets every line the host wrote to stdout and stderr.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public static string DllPath
    {
        get
        {
            // tests/SmtpOps.Relay.Tests/bin/<Configuration>/net10.0/ -> functions/SmtpOps.Relay.LocalHost/bin/<Configuration>/net10.0/
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = output.Parent!.Name;
            var root = output;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "SmtpOps.sln")))
            {
                root = root.Parent;
            }

            var path = Path.Combine(root?.FullName ?? throw new DirectoryNotFoundException("The repository root (SmtpOps.sln) was not found."), "functions", "SmtpOps.Relay.LocalHost", "bin", configuration, "net10.0", "SmtpOps.Relay.LocalHost.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build SmtpOps.Relay.LocalHost first.", path);
        }
    }

    public static LocalHostProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { DllPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var host = new LocalHostProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started."));
        host.process.OutputDataReceived += (_, e) => host.Add(e.Data);
        host.process.ErrorDataReceived += (_, e) => host.Add(e.Data);
        host.process.BeginOutputReadLine();
        host.process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Kills the process at once, as a crash or an instance being recycled would.</summary>
    /// <returns>A task that completes when it has exited.</returns>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end by itself, at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Whether it ended (its output read to the end).</returns>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new System.Threading.CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Tail(int count = 40) => string.Join(Environment.NewLine, Lines.TakeLast(count));

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            Lines.Enqueue(line);
        }
    }
}
