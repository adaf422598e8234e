using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace SmtpOps.PowerShell.Isolation;

/// <summary>
/// PowerShell 7 resolves type literals such as [SmtpOps.Smtp.SmtpSecurity] only among the default load
/// context's assemblies, and Core lives in the module's own context. Registering the Core types a script
/// meets as type accelerators under their full names keeps those literals (and -is / -as) working: the
/// types of the cmdlets' parameters and declared outputs, the Core types of those outputs' properties,
/// and Core's exceptions (what a catch block names). Not all of Core: walking every exported type at
/// import cost time that no script gets anything for.
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
            foreach (var type in ScriptFacingTypes(CoreAssembly()))
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

    private static IEnumerable<Type> ScriptFacingTypes(Assembly core)
    {
        var found = new HashSet<Type>();
        void Add(Type? type, bool withProperties)
        {
            while (type is { HasElementType: true })
            {
                type = type.GetElementType();
            }

            if (type is null)
            {
                return;
            }

            if (type.IsGenericType)
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    Add(argument, withProperties);
                }

                return;
            }

            if (type.Assembly != core || type.FullName is null || !type.IsPublic || !found.Add(type) || !withProperties)
            {
                return;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                Add(property.PropertyType, withProperties: false);
            }
        }

        foreach (var cmdlet in typeof(CoreTypeAccelerators).Assembly.GetExportedTypes().Where(t => typeof(Cmdlet).IsAssignableFrom(t)))
        {
            foreach (var parameter in cmdlet.GetProperties().Where(p => p.IsDefined(typeof(ParameterAttribute), inherit: true)))
            {
                Add(parameter.PropertyType, withProperties: false);
            }

            foreach (var output in cmdlet.GetCustomAttributes(typeof(OutputTypeAttribute), inherit: true).Cast<OutputTypeAttribute>().SelectMany(a => a.Type))
            {
                Add(output.Type, withProperties: true);
            }
        }

        foreach (var exception in core.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)))
        {
            Add(exception, withProperties: true);
        }

        return found;
    }

    // A method of its own: compiling it binds SmtpOps.Core, which must happen after the hook is installed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Assembly CoreAssembly() => typeof(SmtpOps.Smtp.SmtpSecurity).Assembly;
}
