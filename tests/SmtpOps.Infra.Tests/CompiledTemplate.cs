using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json.Nodes;

namespace SmtpOps.Infra.Tests;

/// <summary>
/// The ARM JSON of functions/infra/main.bicep as the Bicep CLI compiles it. From the file SMTPOPS_INFRA_TEMPLATE names
/// (the test suite compiles and lints the template first, tests/rig/Test-InfraTemplate.ps1); without it, the fixture
/// runs that script itself (it fetches the Bicep CLI from NuGet into .cache/ once). No template, no pass: every test
/// of the class fails with the reason.
/// </summary>
public sealed class CompiledTemplate
{
    /// <summary>The environment variable naming the compiled template.</summary>
    public const string EnvironmentVariable = "SMTPOPS_INFRA_TEMPLATE";

    public CompiledTemplate()
    {
        var path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(path))
        {
            path = Path.Combine(Path.GetTempPath(), $"smtpops-infra-{Guid.NewGuid():N}.json");
            Compile(path);
        }
        else if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{EnvironmentVariable} names {path}, which does not exist: the Bicep build failed (see the bicep check's output) or did not run.", path);
        }

        Text = File.ReadAllText(path);
        Json = JsonNode.Parse(Text)!.AsObject();
    }

    /// <summary>Gets the compiled template.</summary>
    public JsonObject Json { get; }

    /// <summary>Gets the compiled template's text.</summary>
    public string Text { get; }

    /// <summary>Gets the repository's root folder.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "SmtpOps.sln")))
                {
                    return folder.FullName;
                }
            }

            throw new DirectoryNotFoundException($"No SmtpOps.sln above {AppContext.BaseDirectory}.");
        }
    }

    private static void Compile(string outFile)
    {
        var root = RepositoryRoot;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "pwsh", "-NoProfile", "-File", Path.Combine(root, "tests", "rig", "Test-InfraTemplate.ps1"), "-OutFile", outFile })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(outFile))
        {
            throw new InvalidOperationException($"tests/rig/Test-InfraTemplate.ps1 did not compile functions/infra/main.bicep cleanly (exit code {process.ExitCode}):{Environment.NewLine}{output}{errors.Result}");
        }
    }
}
