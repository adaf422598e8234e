using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace SmtpOps.Dkim;

/// <summary>
/// A DKIM private key (RSA or Ed25519) and what follows from it: the algorithm it signs with and the public key a
/// DNS TXT record publishes. Read from an unencrypted PEM file or text (PKCS#1 "RSA PRIVATE KEY" or PKCS#8
/// "PRIVATE KEY"), taken from a certificate's exportable RSA key, or generated. Nothing here ever writes key
/// material into a message, an exception or <see cref="ToString"/>.
/// </summary>
public sealed class DkimKey
{
    /// <summary>The smallest RSA key DKIM verifiers must accept (RFC 8301 section 3.2).</summary>
    public const int MinimumRsaKeySize = 1024;

    private readonly StrongBox<RSA?> nativeRsa = new();

    private DkimKey(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey, DkimAlgorithm algorithm, int keySize)
    {
        PrivateKey = privateKey;
        PublicKey = publicKey;
        Algorithm = algorithm;
        KeySize = keySize;
    }

    /// <summary>Gets the algorithm the key signs with.</summary>
    public DkimAlgorithm Algorithm { get; }

    /// <summary>Gets the key size in bits (256 for Ed25519).</summary>
    public int KeySize { get; }

    /// <summary>Gets the DKIM key type as the k= tag names it: "rsa" or "ed25519".</summary>
    public string KeyType => Algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa";

    /// <summary>Gets the algorithm as the a= tag names it: "rsa-sha256" or "ed25519-sha256".</summary>
    public string AlgorithmName => Algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519-sha256" : "rsa-sha256";

    /// <summary>
    /// Gets the public key as the p= tag publishes it (Base64): the DER SubjectPublicKeyInfo for RSA (as
    /// opendkim-genkey writes it), the raw 32-byte key for Ed25519 (RFC 8463 section 4.2).
    /// </summary>
    public string PublicKeyBase64 => Convert.ToBase64String(
        PublicKey is Ed25519PublicKeyParameters ed25519
            ? ed25519.GetEncoded()
            : SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(PublicKey).GetDerEncoded());

    internal AsymmetricKeyParameter PrivateKey { get; }

    internal AsymmetricKeyParameter PublicKey { get; }

    /// <summary>Gets the RSA key as the platform's RSA (made once, on first use), or <c>null</c> for Ed25519.</summary>
    internal RSA? NativeRsa => PrivateKey is RsaPrivateCrtKeyParameters rsa ? nativeRsa.Value ??= CreateNativeRsa(rsa) : null;

    /// <summary>Reads a key from PEM text.</summary>
    /// <param name="pem">The PEM text of an unencrypted private key.</param>
    /// <returns>The key.</returns>
    /// <exception cref="DkimException">The text holds no private key this module reads, or one DKIM must not use.</exception>
    public static DkimKey FromPem(string pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new DkimException(DkimError.KeyUnreadable, null, "The DKIM key text is empty.");
        }

        if (pem.IndexOf("ENCRYPTED", StringComparison.Ordinal) >= 0)
        {
            throw new DkimException(DkimError.KeyUnreadable, null, "The DKIM key is encrypted; give it unencrypted (openssl pkey -in key.pem -out plain.pem) and protect the file instead, or keep it in a secret store.");
        }

        object? read;
        try
        {
            using var reader = new StringReader(pem);
            read = new PemReader(reader).ReadObject();
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or FormatException or PemException or SecurityUtilityException or InvalidCastException)
        {
            // The parser's own message may quote the text: it is not passed on.
            throw new DkimException(DkimError.KeyUnreadable, null, "The DKIM key is not a readable PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----).");
        }

        var privateKey = read switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } key => key,
            _ => null,
        };
        if (privateKey is null)
        {
            throw new DkimException(DkimError.KeyUnreadable, null, read is null
                ? "The DKIM key text holds no PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)."
                : "The DKIM key text holds a public key or certificate, not a private key.");
        }

        return FromPrivateKey(privateKey);
    }

    /// <summary>Reads a key from a PEM file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The key.</returns>
    /// <exception cref="DkimException">The file cannot be read, or holds no usable private key.</exception>
    public static DkimKey FromPemFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path ?? throw new ArgumentNullException(nameof(path)), Encoding.ASCII);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new DkimException(DkimError.KeyNotFound, path, $"The DKIM key file '{path}' cannot be read: {ex.GetType().Name}.");
        }

        try
        {
            return FromPem(text);
        }
        catch (DkimException ex)
        {
            throw new DkimException(ex.Error, path, $"{ex.Message} (file '{path}')");
        }
    }

    /// <summary>Takes the RSA private key of a certificate (it must be exportable: MimeKit signs with BouncyCastle).</summary>
    /// <param name="certificate">The certificate with its private key.</param>
    /// <returns>The key.</returns>
    /// <exception cref="DkimException">The certificate has no RSA private key, or it cannot be exported.</exception>
    public static DkimKey FromCertificate(X509Certificate2 certificate)
    {
        if (certificate is null)
        {
            throw new ArgumentNullException(nameof(certificate));
        }

        var subject = certificate.Subject;
        if (!certificate.HasPrivateKey)
        {
            throw new DkimException(DkimError.KeyUnsupported, subject, $"The certificate '{subject}' has no private key.");
        }

        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is null)
        {
            throw new DkimException(DkimError.KeyUnsupported, subject, $"The certificate '{subject}' has no RSA key; DKIM signs with RSA or Ed25519, and .NET certificates do not carry Ed25519 keys (give an Ed25519 key as PEM).");
        }

        RSAParameters parameters;
        try
        {
            parameters = rsa.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException)
        {
            throw new DkimException(DkimError.KeyUnsupported, subject, $"The private key of the certificate '{subject}' cannot be exported (it was imported as non-exportable); DKIM signing needs it exportable, or give the key as PEM.");
        }

        return FromPrivateKey(DotNetUtilities.GetRsaKeyPair(parameters).Private);
    }

    /// <summary>Generates a new key.</summary>
    /// <param name="algorithm">The algorithm the key is for.</param>
    /// <param name="rsaKeySize">The RSA key size in bits (ignored for Ed25519): 2048 by default, at least 1024.</param>
    /// <returns>The key.</returns>
    public static DkimKey Generate(DkimAlgorithm algorithm, int rsaKeySize = 2048)
    {
        var random = new SecureRandom();
        if (algorithm == DkimAlgorithm.Ed25519Sha256)
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(random));
            return FromPrivateKey(generator.GenerateKeyPair().Private);
        }

        if (rsaKeySize < MinimumRsaKeySize || rsaKeySize > 8192)
        {
            throw new ArgumentOutOfRangeException(nameof(rsaKeySize), rsaKeySize, $"RSA keys for DKIM have {MinimumRsaKeySize} to 8192 bits.");
        }

        var rsa = new RsaKeyPairGenerator();
        rsa.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), random, rsaKeySize, 100));
        return FromPrivateKey(rsa.GenerateKeyPair().Private);
    }

    /// <summary>Writes the private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), the form <see cref="FromPem"/>, OpenSSL and OpenDKIM read.</summary>
    /// <returns>The PEM text: key material, to be written only where the key belongs.</returns>
    public string ExportPrivateKeyPem()
    {
        // Ed25519 as RFC 8410 and OpenSSL write it (version 0, the seed in an OCTET STRING, no public key attribute):
        // BouncyCastle's factory writes a form that OpenSSL 3 does not read.
        var der = PrivateKey is Ed25519PrivateKeyParameters ed25519
            ? new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), new DerOctetString(ed25519.GetEncoded())).GetDerEncoded()
            : PrivateKeyInfoFactory.CreatePrivateKeyInfo(PrivateKey).GetDerEncoded();
        var base64 = Convert.ToBase64String(der);
        var builder = new StringBuilder("-----BEGIN PRIVATE KEY-----\n");
        for (var i = 0; i < base64.Length; i += 64)
        {
            builder.Append(base64, i, Math.Min(64, base64.Length - i)).Append('\n');
        }

        return builder.Append("-----END PRIVATE KEY-----\n").ToString();
    }

    /// <summary>
    /// Writes the private key (<see cref="ExportPrivateKeyPem"/>) to a new file that only its owner may read: on Linux
    /// and macOS the file is created with mode 0600 before the key is written into it; on Windows it inherits the
    /// folder's ACL (choose a folder only its owner reads).
    /// </summary>
    /// <param name="path">The file's full path.</param>
    /// <param name="overwrite">Whether an existing file is replaced; otherwise an existing file is an error.</param>
    /// <exception cref="IOException">The file exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public void ExportPrivateKeyFile(string path, bool overwrite)
    {
        using (var created = new FileStream(path ?? throw new ArgumentNullException(nameof(path)), overwrite ? FileMode.Create : FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            created.SetLength(0);
        }

        OwnerOnlyFile.Restrict(path);
        File.WriteAllText(path, ExportPrivateKeyPem(), new UTF8Encoding(false));
    }

    /// <summary>Says what the key is, never what it holds.</summary>
    /// <returns>For example "rsa-sha256 (2048-bit)".</returns>
    public override string ToString() => $"{AlgorithmName} ({KeySize}-bit)";

    private static RSA CreateNativeRsa(RsaPrivateCrtKeyParameters key)
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(DotNetUtilities.ToRSAParameters(key));
        return rsa;
    }

    private static DkimKey FromPrivateKey(AsymmetricKeyParameter privateKey)
    {
        switch (privateKey)
        {
            case RsaPrivateCrtKeyParameters rsa:
                var bits = rsa.Modulus.BitLength;
                if (bits < MinimumRsaKeySize)
                {
                    throw new DkimException(DkimError.KeyUnsupported, null, $"The DKIM key is a {bits}-bit RSA key; verifiers ignore signatures from keys below {MinimumRsaKeySize} bits (RFC 8301). Use 2048 bits.");
                }

                return new DkimKey(rsa, new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent), DkimAlgorithm.RsaSha256, bits);
            case Ed25519PrivateKeyParameters ed25519:
                return new DkimKey(ed25519, ed25519.GeneratePublicKey(), DkimAlgorithm.Ed25519Sha256, 256);
            default:
                throw new DkimException(DkimError.KeyUnsupported, null, $"The DKIM key is a {DescribeKind(privateKey)} key; DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256) keys only.");
        }
    }

    private static string DescribeKind(AsymmetricKeyParameter key) => key switch
    {
        ECPrivateKeyParameters => "EC (ECDSA)",
        RsaKeyParameters => "RSA key without CRT parameters, an incomplete RSA",
        _ => key.GetType().Name.Replace("PrivateKeyParameters", string.Empty),
    };
}
