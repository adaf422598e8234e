using System;
using System.IO;
using System.Reflection;

namespace SmtpOps.PowerShell.Isolation;

/// <summary>
/// Windows PowerShell 5.1 (.NET Framework): serves assemblies the runtime cannot find from the module's
/// Dependencies folder. There is a single load context there, so this finds our assemblies but does not
/// isolate them: an assembly of the same identity (or the same name, if not strong-named) that is already
/// loaded is shared, and binding redirects of powershell.exe.config apply.
/// </summary>
internal static class FrameworkResolver
{
    private static readonly object Gate = new();
    private static string? dependencies;
    private static bool hooked;

    public static void Install(string folder)
    {
        lock (Gate)
        {
            dependencies = folder;
            if (!hooked)
            {
                AppDomain.CurrentDomain.AssemblyResolve += Resolve;
                hooked = true;
            }
        }
    }

    public static void Uninstall()
    {
        lock (Gate)
        {
            if (hooked)
            {
                AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
                hooked = false;
            }
        }
    }

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var folder = dependencies;
        var name = new AssemblyName(args.Name).Name;
        if (folder is null || string.IsNullOrEmpty(name))
        {
            return null;
        }

        var path = Path.Combine(folder, name + ".dll");
        return File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
}
