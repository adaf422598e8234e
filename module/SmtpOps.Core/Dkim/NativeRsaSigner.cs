using System;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;

namespace SmtpOps.Dkim;

/// <summary>
/// rsa-sha256 for MimeKit's DKIM signer through the platform's RSA (OpenSSL, CNG) instead of BouncyCastle's managed
/// arithmetic: the same PKCS#1 v1.5 signature, about ten times cheaper per message (tests/bench, DkimSigning).
/// One per signature; the RSA object is shared, so signing is serialized on it. Not sealed, and with a virtual
/// span overload of BlockUpdate: on .NET (Core) the BouncyCastle build that loads declares that member on ISigner,
/// which this netstandard2.0 assembly does not see at compile time, and the runtime binds it by name and signature.
/// </summary>
internal class NativeRsaSigner : ISigner
{
    private readonly RSA rsa;
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public NativeRsaSigner(RSA rsa) => this.rsa = rsa;

    public string AlgorithmName => "SHA-256withRSA";

    public void Init(bool forSigning, ICipherParameters parameters)
    {
        if (!forSigning)
        {
            throw new NotSupportedException("Only signing is supported.");
        }
    }

    public void Update(byte input) => hash.AppendData(new[] { input });

    public void BlockUpdate(byte[] input, int inOff, int inLen) => hash.AppendData(input, inOff, inLen);

    public virtual void BlockUpdate(ReadOnlySpan<byte> input) => hash.AppendData(input.ToArray());

    public int GetMaxSignatureSize() => (rsa.KeySize + 7) / 8;

    public byte[] GenerateSignature()
    {
        var digest = hash.GetHashAndReset();
        lock (rsa)
        {
            return rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    public bool VerifySignature(byte[] signature) => throw new NotSupportedException("Only signing is supported.");

    public void Reset() => hash.GetHashAndReset();
}
