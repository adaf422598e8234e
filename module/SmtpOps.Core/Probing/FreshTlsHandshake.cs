using System;
using System.Net.Security;
using System.Reflection;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.Probing;

/// <summary>
/// The probe's client handshake on <see cref="SslStream"/> (the TLS library Send-SmtpMail uses), always a full one: .NET
/// resumes TLS sessions by target host name, whatever the port, so a probe of a second port of a server that shares
/// its session keys across ports (Postfix does) would otherwise be a resumption, and report the certificate of the
/// first port. .NET 8+ refuses resumption with <c>SslClientAuthenticationOptions.AllowTlsResume = false</c>; this
/// assembly targets netstandard2.0, which has no such type, so it is reached by reflection.
/// </summary>
internal static class FreshTlsHandshake
{
    private static readonly Type? OptionsType = typeof(SslStream).Assembly.GetType("System.Net.Security.SslClientAuthenticationOptions");
    private static readonly PropertyInfo? AllowTlsResume = OptionsType?.GetProperty("AllowTlsResume");
    private static readonly MethodInfo? AuthenticateWithOptions = OptionsType is null ? null
        : typeof(SslStream).GetMethod(nameof(SslStream.AuthenticateAsClientAsync), new[] { OptionsType, typeof(CancellationToken) });

    /// <summary>Gets whether this runtime can refuse resumption (.NET 8 and later; not .NET Framework, whose SChannel caches sessions).</summary>
    public static bool RefusesResumption => AllowTlsResume is not null && AuthenticateWithOptions is not null;

    /// <summary>Authenticates as a client without resuming any earlier session where the runtime allows it.</summary>
    /// <param name="tls">The stream to authenticate.</param>
    /// <param name="host">The server name (SNI and the name check).</param>
    /// <param name="validate">Sees the certificate the server presented on this connection.</param>
    /// <param name="checkRevocation">Whether to check revocation online.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>The handshake.</returns>
    public static Task AuthenticateAsync(SslStream tls, string host, RemoteCertificateValidationCallback validate, bool checkRevocation, CancellationToken cancellationToken)
    {
        if (!RefusesResumption)
        {
            return tls.AuthenticateAsClientAsync(host, null, SslProtocols.None, checkRevocation);
        }

        var options = Activator.CreateInstance(OptionsType!);
        OptionsType!.GetProperty("TargetHost")!.SetValue(options, host);
        OptionsType.GetProperty("RemoteCertificateValidationCallback")!.SetValue(options, validate);
        OptionsType.GetProperty("CertificateRevocationCheckMode")!.SetValue(options, checkRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck);
        OptionsType.GetProperty("EnabledSslProtocols")!.SetValue(options, SslProtocols.None);
        AllowTlsResume!.SetValue(options, false);
        try
        {
            return (Task)AuthenticateWithOptions!.Invoke(tls, new[] { options, cancellationToken })!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
