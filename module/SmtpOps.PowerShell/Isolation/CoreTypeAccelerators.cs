using System;
using System.Collections.Generic;
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
            foreach (var type in ScriptFacingTypes())
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

    // The list, not a reflection walk over the cmdlets' parameters and outputs and Core's exported types at every
    // import (a third of the accelerators' cost here). DependencyIsolation.Tests.ps1 makes that walk and fails when
    // a type it finds (a parameter or output type, any Core type reachable through their properties, an exception)
    // is missing here.
    // A method of its own: compiling it binds SmtpOps.Core, which must happen after the hook is installed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Type[] ScriptFacingTypes() => new[]
    {
        typeof(SmtpOps.Acs.AcsFailureKind),
        typeof(SmtpOps.Acs.AcsSendResult),
        typeof(SmtpOps.Acs.AcsTransportException),
        typeof(SmtpOps.Budgets.BudgetUse),
        typeof(SmtpOps.Dkim.AppliedDkimSignature),
        typeof(SmtpOps.Dkim.DkimAlgorithm),
        typeof(SmtpOps.Dkim.DkimDnsRecord),
        typeof(SmtpOps.Dkim.DkimException),
        typeof(SmtpOps.Dkim.DkimKeyCheckResult),
        typeof(SmtpOps.Dkim.DkimKeyCheckStatus),
        typeof(SmtpOps.Dns.DmarcPolicy),
        typeof(SmtpOps.Dns.DmarcReportUri),
        typeof(SmtpOps.Dns.DnsFailureKind),
        typeof(SmtpOps.Dns.DnsResolutionException),
        typeof(SmtpOps.Dns.MailDomainPolicy),
        typeof(SmtpOps.Dns.MailExchanger),
        typeof(SmtpOps.Dns.MtaStsPolicy),
        typeof(SmtpOps.Dns.SpfRecord),
        typeof(SmtpOps.Dns.TlsReportingPolicy),
        typeof(SmtpOps.Dns.TlsaAssociation),
        typeof(SmtpOps.Dns.TlsaRecordSet),
        typeof(SmtpOps.Graph.GraphFailureKind),
        typeof(SmtpOps.Graph.GraphSendResult),
        typeof(SmtpOps.Graph.GraphSendRoute),
        typeof(SmtpOps.Graph.GraphTransportException),
        typeof(SmtpOps.Messages.DeliveryNotification),
        typeof(SmtpOps.Messages.MessagePriority),
        typeof(SmtpOps.Messages.MessageValidationError),
        typeof(SmtpOps.Messages.MessageValidationException),
        typeof(SmtpOps.Probing.ProbeCertificate),
        typeof(SmtpOps.Probing.ProbeCheck),
        typeof(SmtpOps.Probing.ProbeFailure),
        typeof(SmtpOps.Probing.ProbeTimings),
        typeof(SmtpOps.Probing.ProbeVerdict),
        typeof(SmtpOps.Probing.SmtpProbeResult),
        typeof(SmtpOps.Probing.SmtpReply),
        typeof(SmtpOps.Probing.TlsOffer),
        typeof(SmtpOps.Probing.TlsOfferStatus),
        typeof(SmtpOps.Relay.RelayEnqueueResult),
        typeof(SmtpOps.Relay.RelayEnvelopeError),
        typeof(SmtpOps.Relay.RelayEnvelopeException),
        typeof(SmtpOps.Relay.RelayFailure),
        typeof(SmtpOps.Relay.RelayInspectionError),
        typeof(SmtpOps.Relay.RelayInspectionException),
        typeof(SmtpOps.Relay.RelayMessageLocation),
        typeof(SmtpOps.Relay.RelayMessageState),
        typeof(SmtpOps.Relay.RelayQueueStatus),
        typeof(SmtpOps.Relay.RelayStorageException),
        typeof(SmtpOps.Relay.RelayStorageFailureKind),
        typeof(SmtpOps.Smime.SmimeException),
        typeof(SmtpOps.Smime.SmimeProtection),
        typeof(SmtpOps.Smime.SmimeSignatureFormat),
        typeof(SmtpOps.Smtp.CertificateRevocationMode),
        typeof(SmtpOps.Smtp.CertificateRevocationStatus),
        typeof(SmtpOps.Smtp.CertificateTrust),
        typeof(SmtpOps.Smtp.ServerCertificateDecision),
        typeof(SmtpOps.Smtp.SmtpFailureKind),
        typeof(SmtpOps.Smtp.SmtpRecipientResult),
        typeof(SmtpOps.Smtp.SmtpSecurity),
        typeof(SmtpOps.Smtp.SmtpSendResult),
        typeof(SmtpOps.Smtp.SmtpSubmissionException),
        typeof(SmtpOps.Spf.SpfError),
        typeof(SmtpOps.Spf.SpfEvaluation),
        typeof(SmtpOps.Spf.SpfRecordNode),
        typeof(SmtpOps.Spf.SpfResult),
    };

}
