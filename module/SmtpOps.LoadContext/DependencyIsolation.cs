using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SmtpOps.LoadContext;

/// <summary>
/// Installs and removes the hook that serves SmtpOps.Core from <see cref="SmtpOpsLoadContext"/>.
/// Called by reflection from SmtpOps.dll's module initializer and cleanup on PowerShell 7.
/// </summary>
public static class DependencyIsolation
{
    private const string CoreAssembly = "SmtpOps.Core";
    private static readonly object Gate = new();
    private static SmtpOpsLoadContext? context;
    private static bool hooked;

    /// <summary>Gets the module's load context, once installed.</summary>
    public static AssemblyLoadContext? Context => context;

    /// <summary>
    /// Hooks <see cref="AssemblyLoadContext.Default"/>'s Resolving event for SmtpOps.Core only: the cmdlet
    /// assembly's reference to Core then binds to the copy in the module's context, so every Core type the
    /// cmdlets use (parameters, output) is that one. One context per process: re-imports reuse it.
    /// </summary>
    /// <param name="dependencies">The module's Dependencies folder.</param>
    public static void Install(string dependencies)
    {
        lock (Gate)
        {
            context ??= new SmtpOpsLoadContext(Path.GetFullPath(dependencies));
            if (!hooked)
            {
                AssemblyLoadContext.Default.Resolving += ResolveCore;
                hooked = true;
            }
        }
    }

    /// <summary>Removes the hook (Remove-Module); what is loaded stays loaded, as .NET requires.</summary>
    public static void Uninstall()
    {
        lock (Gate)
        {
            if (hooked)
            {
                AssemblyLoadContext.Default.Resolving -= ResolveCore;
                hooked = false;
            }
        }
    }

    private static Assembly? ResolveCore(AssemblyLoadContext requester, AssemblyName name)
    {
        // Only Core, and only when it is there: a missing file must fail, not loop through the default context.
        var current = context;
        return current is not null
            && string.Equals(name.Name, CoreAssembly, StringComparison.Ordinal)
            && File.Exists(Path.Combine(current.DependenciesPath, CoreAssembly + ".dll"))
            ? current.LoadFromAssemblyName(name)
            : null;
    }
}
