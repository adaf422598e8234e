using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace SmtpOps.PowerShell.Isolation;

/// <summary>
/// PowerShell 7 resolves type literals such as [SmtpOps.Smtp.SmtpSecurity] only among the default load
/// context's assemblies, and Core lives in the module's own context. Registering Core's public types as
/// type accelerators under their full names keeps those literals (and -is / -as) working.
/// </summary>
/// <remarks>
/// TypeAccelerators is public but not part of PowerShell's reference assemblies: it is reached by
/// reflection, and anything missing only means the literals do not resolve (strings still bind).
/// </remarks>
internal static class CoreTypeAccelerators
{
    private static readonly object Gate = new();
    private static readonly List<string> Registered = new();

    public static void Register()
    {
        var accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        var add = accelerators?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(Type) }, null);
        var existing = accelerators?.GetProperty("Get", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as IDictionary<string, Type>;
        if (add is null || existing is null)
        {
            return;
        }

        lock (Gate)
        {
            foreach (var type in CoreAssembly().GetExportedTypes().Where(t => t.FullName is not null && !t.IsGenericTypeDefinition))
            {
                if (!existing.ContainsKey(type.FullName!))
                {
                    add.Invoke(null, new object[] { type.FullName!, type });
                    Registered.Add(type.FullName!);
                }
            }
        }
    }

    public static void Unregister()
    {
        var accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        var remove = accelerators?.GetMethod("Remove", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string) }, null);
        if (remove is null)
        {
            return;
        }

        lock (Gate)
        {
            foreach (var name in Registered)
            {
                remove.Invoke(null, new object[] { name });
            }

            Registered.Clear();
        }
    }

    // A method of its own: compiling it binds SmtpOps.Core, which must happen after the hook is installed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Assembly CoreAssembly() => typeof(SmtpOps.Smtp.SmtpSecurity).Assembly;
}
