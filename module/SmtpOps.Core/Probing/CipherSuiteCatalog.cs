using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace SmtpOps.Probing;

/// <summary>
/// The cipher suites BouncyCastle can negotiate, by IANA name (its <see cref="CipherSuite"/> constants), grouped into
/// the classes testssl.sh rates: anonymous (aNULL), NULL encryption (eNULL), forward secrecy, AEAD. A class is tested
/// with one handshake offering all its suites, never suite by suite.
/// </summary>
internal static class CipherSuiteCatalog
{
    // Suites that need what a probe does not have (a pre-shared key, an SRP password, Kerberos) or a national algorithm.
    private static readonly string[] Unusable = { "PSK", "SRP", "KRB5", "GOST", "SM4", "ECCPWD", "SCSV", "DRAFT", "PRIVATE" };

    private static readonly Dictionary<int, string> Names = typeof(CipherSuite)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int) && f.Name.StartsWith("TLS_", StringComparison.Ordinal))
        .GroupBy(f => (int)f.GetRawConstantValue()!)
        .ToDictionary(g => g.Key, g => g.First().Name);

    /// <summary>Gets the IANA name of a suite, or its code.</summary>
    public static string NameOf(int suite) => Names.TryGetValue(suite, out var name) ? name : $"0x{suite:X4}";

    /// <summary>Gets the suites of a class that <paramref name="crypto"/> supports and one of <paramref name="versions"/> allows.</summary>
    public static int[] Select(TlsCrypto crypto, ProtocolVersion[] versions, Func<string, bool> inClass)
    {
        var usable = Names
            .Where(n => !Unusable.Any(u => n.Value.IndexOf(u, StringComparison.Ordinal) >= 0) && inClass(n.Value))
            .Select(n => n.Key)
            .Where(s => versions.Any(v => TlsUtilities.IsValidVersionForCipherSuite(s, v)))
            .OrderByDescending(s => s)
            .ToArray();
        return TlsUtilities.GetSupportedCipherSuites(crypto, usable);
    }

    /// <summary>Anonymous key exchange: no server authentication (testssl: "Anonymous NULL Ciphers", HIGH).</summary>
    public static bool IsAnonymous(string name) => name.IndexOf("_anon_", StringComparison.Ordinal) >= 0;

    /// <summary>No encryption (testssl: "NULL ciphers", HIGH/CRITICAL).</summary>
    public static bool IsNullEncryption(string name) => name.IndexOf("_WITH_NULL_", StringComparison.Ordinal) >= 0 && !IsAnonymous(name);

    /// <summary>TLS 1.3 suites (forward secret and AEAD by design).</summary>
    public static bool IsTls13(string name) => name.StartsWith("TLS_AES_", StringComparison.Ordinal) || name.StartsWith("TLS_CHACHA20_", StringComparison.Ordinal);

    /// <summary>An authenticated, encrypting suite: what a healthy server negotiates.</summary>
    public static bool IsAuthenticatedEncryption(string name) => !IsAnonymous(name) && name.IndexOf("_NULL_", StringComparison.Ordinal) < 0;

    /// <summary>Ephemeral (EC)DH key exchange, or TLS 1.3: forward secrecy.</summary>
    public static bool IsForwardSecret(string name)
        => IsTls13(name) || (IsAuthenticatedEncryption(name) && (name.StartsWith("TLS_ECDHE_", StringComparison.Ordinal) || name.StartsWith("TLS_DHE_", StringComparison.Ordinal)));

    /// <summary>An AEAD cipher (GCM, CCM, ChaCha20-Poly1305) rather than CBC.</summary>
    public static bool IsAead(string name)
        => IsTls13(name) || (IsAuthenticatedEncryption(name) && (name.IndexOf("_GCM_", StringComparison.Ordinal) >= 0 || name.IndexOf("_CCM", StringComparison.Ordinal) >= 0 || name.IndexOf("CHACHA20_POLY1305", StringComparison.Ordinal) >= 0));
}
