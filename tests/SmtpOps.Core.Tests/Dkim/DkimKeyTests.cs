using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Threading.Tasks;
using SmtpOps.Dkim;
using SmtpOps.Dns;
using Xunit;

namespace SmtpOps.Tests.Dkim;

/// <summary>Reading DKIM keys (never quoting them), the records that publish them, and checking the published record.</summary>
public sealed class DkimKeyTests : IClassFixture<DkimFixture>
{
    private readonly DkimFixture keys;

    public DkimKeyTests(DkimFixture keys) => this.keys = keys;

    [Fact]
    public void EncryptedKeyIsRefusedWithoutQuotingIt()
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));

        var ex = Assert.Throws<DkimException>(() => DkimKey.FromPem(pem));

        Assert.Equal(DkimError.KeyUnreadable, ex.Error);
        Assert.Contains("encrypted", ex.Message, StringComparison.Ordinal);
        AssertQuotesNothingOf(pem, ex);
    }

    [Fact]
    public void DamagedKeyIsRefusedWithoutQuotingIt()
    {
        var pem = keys.Rsa.ExportPrivateKeyPem();
        var damaged = pem.Replace("\n", "\nAAAA", StringComparison.Ordinal).Replace("-----BEGIN PRIVATE KEY-----\nAAAA", "-----BEGIN PRIVATE KEY-----\n", StringComparison.Ordinal);

        var ex = Assert.Throws<DkimException>(() => DkimKey.FromPem(damaged));

        Assert.Equal(DkimError.KeyUnreadable, ex.Error);
        AssertQuotesNothingOf(pem, ex);
    }

    [Fact]
    public void EcKeyIsRefused()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var ex = Assert.Throws<DkimException>(() => DkimKey.FromPem(ec.ExportPkcs8PrivateKeyPem()));

        Assert.Equal(DkimError.KeyUnsupported, ex.Error);
        Assert.Contains("EC", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortRsaKeyIsRefused()
    {
        using var rsa = RSA.Create(768);

        var ex = Assert.Throws<DkimException>(() => DkimKey.FromPem(rsa.ExportPkcs8PrivateKeyPem()));

        Assert.Equal(DkimError.KeyUnsupported, ex.Error);
        Assert.Contains("768-bit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PublicKeyIsNotAPrivateKey()
    {
        using var rsa = RSA.Create(2048);

        var ex = Assert.Throws<DkimException>(() => DkimKey.FromPem(rsa.ExportSubjectPublicKeyInfoPem()));

        Assert.Equal(DkimError.KeyUnreadable, ex.Error);
        Assert.Contains("public key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileNamesThePathOnly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.pem");

        var ex = Assert.Throws<DkimException>(() => DkimKey.FromPemFile(path));

        Assert.Equal(DkimError.KeyNotFound, ex.Error);
        Assert.Equal(path, ex.Target);
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, "rsa")]
    [InlineData(DkimAlgorithm.Ed25519Sha256, "ed25519")]
    public async Task ExportedKeyIsReadByOpenSslAndMatchesTheRecord(DkimAlgorithm algorithm, string keyType)
    {
        var key = keys.Key(algorithm);
        var path = Path.Combine(Path.GetTempPath(), $"dkim-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, key.ExportPrivateKeyPem());
        try
        {
            // openssl derives the public key from the private key file: it must be the p= of the record.
            var der = await RunOpenSslAsync("pkey", "-in", path, "-pubout", "-outform", "DER");
            var published = DkimPublicKeyRecord.TryParse(DkimPublicKeyRecord.Format(key), out _)!;
            var expected = algorithm == DkimAlgorithm.Ed25519Sha256 ? der[^32..] : der;

            Assert.Equal(keyType, published.KeyType);
            Assert.Equal(Convert.ToBase64String(expected), published.PublicKey);
            Assert.True(published.Publishes(DkimKey.FromPemFile(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RecordForAnRsa2048KeyIsSplitInto255ByteStrings()
    {
        var record = new DkimDnsRecord("Contoso.TEST.", "rsa2026", keys.Rsa, null);

        Assert.Equal("rsa2026._domainkey.contoso.test", record.RecordName);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIBIjAN", record.RecordValue, StringComparison.Ordinal);
        Assert.Equal(2, record.RecordStrings.Count);
        Assert.Equal(record.RecordValue, string.Concat(record.RecordStrings));
        Assert.All(record.RecordStrings, s => Assert.True(s.Length <= 255));
        Assert.StartsWith("rsa2026._domainkey.contoso.test. IN TXT ( \"v=DKIM1;", record.ZoneFileLine, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DkimFixture.RsaSelector, DkimAlgorithm.RsaSha256)]
    [InlineData(DkimFixture.Ed25519Selector, DkimAlgorithm.Ed25519Sha256)]
    public async Task PublishedKeyMatches(string selector, DkimAlgorithm algorithm)
    {
        var result = await Checker().CheckAsync(DkimFixture.Domain, selector, keys.Key(algorithm));

        Assert.Equal(DkimKeyCheckStatus.Match, result.Status);
        Assert.True(result.Matches);
        Assert.Equal(DkimPublicKeyRecord.Format(keys.Key(algorithm)), result.Record);
    }

    [Theory]
    [InlineData(DkimFixture.RsaSelector, DkimKeyCheckStatus.Mismatch, "another rsa key")]
    [InlineData(DkimFixture.Ed25519Selector, DkimKeyCheckStatus.Mismatch, "publishes a ed25519 key, but the key given is rsa")]
    [InlineData("absent", DkimKeyCheckStatus.NotPublished, "No TXT record")]
    [InlineData("revoked", DkimKeyCheckStatus.Revoked, "revoked")]
    [InlineData("spf", DkimKeyCheckStatus.Invalid, "be DKIM1")]
    [InlineData("twice", DkimKeyCheckStatus.Invalid, "2 TXT records")]
    [InlineData("broken", DkimKeyCheckStatus.LookupFailed, "failed temporarily")]
    public async Task OtherKeyOrNoUsableRecordDoesNotMatch(string selector, DkimKeyCheckStatus status, string says)
    {
        var result = await Checker().CheckAsync(DkimFixture.Domain, selector, keys.Stranger);

        Assert.Equal(status, result.Status);
        Assert.False(result.Matches);
        Assert.Contains(says, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAKeyTheRecordIsReported()
    {
        var result = await Checker().CheckAsync(DkimFixture.Domain, DkimFixture.Ed25519Selector, null);

        Assert.Equal(DkimKeyCheckStatus.Published, result.Status);
        Assert.Equal("ed25519", result.KeyType);
        Assert.Null(result.KeyAlgorithm);
    }

    private DkimKeyChecker Checker() => new(new MxResolverOptions { Servers = new[] { keys.Dns.EndPoint }, Timeout = TimeSpan.FromSeconds(2), Retries = 0, UseCache = false });

    private static void AssertQuotesNothingOf(string pem, Exception ex)
    {
        foreach (var line in pem.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("-----", StringComparison.Ordinal))
            {
                Assert.DoesNotContain(line[..16], ex.ToString(), StringComparison.Ordinal);
            }
        }
    }

    private static async Task<byte[]> RunOpenSslAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = await process.StandardError.ReadToEndAsync();
        await copy;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output.ToArray();
    }
}
