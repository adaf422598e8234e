using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace SmtpOps.PowerShell.Isolation;

/// <summary>
/// Runs at Import-Module, before any cmdlet: makes SmtpOps.Core and its dependencies (MailKit, MimeKit,
/// BouncyCastle, DnsClient, Azure.*) load from the module's Dependencies folder, isolated from whatever
/// versions other modules have loaded.
/// </summary>
/// <remarks>
/// <para>
/// This assembly is netstandard2.0 (one build for Windows PowerShell 5.1 and PowerShell 7), and
/// AssemblyLoadContext is not part of netstandard2.0. So on PowerShell 7 (.NET) the load context lives
/// in a tiny net8.0 assembly beside this one, SmtpOps.LoadContext.dll, loaded by path into the default
/// context and called by reflection (two calls, no types shared). It hooks the default context's
/// Resolving event for SmtpOps.Core only and answers with Core loaded into the module's own
/// AssemblyLoadContext, which loads Core's dependencies from Dependencies/ (PowerShell's documented
/// pattern for dependency conflicts).
/// </para>
/// <para>
/// On Windows PowerShell 5.1 (.NET Framework, no load contexts) an AppDomain.AssemblyResolve handler
/// serves Dependencies/ instead: that finds our assemblies but isolates nothing (see README).
/// </para>
/// </remarks>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string IsolationAssembly = "SmtpOps.LoadContext.dll";
    private const string IsolationType = "SmtpOps.LoadContext.DependencyIsolation";

    /// <summary>Installs the resolution of Dependencies/ for this process.</summary>
    public void OnImport()
    {
        var moduleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
        var dependencies = Path.Combine(moduleFolder, "Dependencies");
        if (IsDotNetCore)
        {
            InvokeIsolation(moduleFolder, "Install", dependencies);
            CoreTypeAccelerators.Register();
        }
        else
        {
            FrameworkResolver.Install(dependencies);
        }
    }

    /// <summary>Removes the hook at Remove-Module; loaded assemblies stay loaded, as .NET requires.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (IsDotNetCore)
        {
            CoreTypeAccelerators.Unregister();
            InvokeIsolation(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Uninstall");
        }
        else
        {
            FrameworkResolver.Uninstall();
        }
    }

    // .NET (Core) has System.Private.CoreLib; .NET Framework has mscorlib.
    private static bool IsDotNetCore => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

    private static void InvokeIsolation(string moduleFolder, string method, params object[] arguments)
    {
        var assembly = Assembly.LoadFrom(Path.Combine(moduleFolder, IsolationAssembly));
        var type = assembly.GetType(IsolationType, throwOnError: true)!;
        var target = type.GetMethod(method, BindingFlags.Public | BindingFlags.Static)
            ?? throw new MissingMethodException(IsolationType, method);
        try
        {
            target.Invoke(null, arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            // Rethrow what the isolation code threw with its own stack trace, not one that starts here.
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
        }
    }
}
