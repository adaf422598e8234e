using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SmtpOps.LoadContext;

/// <summary>
/// The module's private load context: SmtpOps.Core and everything it depends on (MailKit, MimeKit,
/// BouncyCastle, DnsClient, Azure.*) load from the module's Dependencies folder, whatever versions
/// the session has already loaded into the default context.
/// </summary>
/// <remarks>
/// Load returns null (the default context decides) for anything not in Dependencies, such as
/// System.Management.Automation, and for assemblies the runtime or PowerShell already provide in an
/// equal or newer version (System.Memory, System.Text.Json, Microsoft.Bcl.AsyncInterfaces ...): a
/// second copy of a framework assembly would give Span&lt;T&gt;, Stream or JsonElement two identities.
/// </remarks>
public sealed class SmtpOpsLoadContext : AssemblyLoadContext
{
    private readonly string dependencies;
    private readonly Lazy<Dictionary<string, string>> platform = new(ReadPlatformAssemblies);

    /// <summary>Initializes a new instance of the <see cref="SmtpOpsLoadContext"/> class.</summary>
    /// <param name="dependencies">The folder holding SmtpOps.Core and its dependencies.</param>
    public SmtpOpsLoadContext(string dependencies)
        : base("SmtpOps", isCollectible: false) => this.dependencies = dependencies;

    /// <summary>Gets the folder this context loads from.</summary>
    public string DependenciesPath => dependencies;

    /// <inheritdoc/>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name)
        {
            return null;
        }

        var path = Path.Combine(dependencies, name + ".dll");
        if (!File.Exists(path) || ProvidedByPlatform(name, assemblyName.Version))
        {
            return null;
        }

        return LoadFromAssemblyPath(path);
    }

    private static Dictionary<string, string> ReadPlatformAssemblies()
    {
        // The trusted platform assemblies: the runtime's and the host's (pwsh's own folder).
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var list = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? string.Empty;
        foreach (var file in list.Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries))
        {
            map[Path.GetFileNameWithoutExtension(file)] = file;
        }

        return map;
    }

    private bool ProvidedByPlatform(string name, Version? requested)
    {
        if (!platform.Value.TryGetValue(name, out var file))
        {
            return false;
        }

        try
        {
            var available = AssemblyName.GetAssemblyName(file).Version;
            return requested is null || (available is not null && available >= requested);
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
