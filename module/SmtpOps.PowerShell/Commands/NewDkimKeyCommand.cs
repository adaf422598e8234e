using System;
using System.IO;
using System.Management.Automation;
using SmtpOps.Dkim;

namespace SmtpOps.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Makes a DKIM key pair: writes the private key to a PEM file and returns the DNS TXT record to publish.</para>
/// <para type="description">RSA 2048 by default (read by every verifier), or Ed25519 (RFC 8463).</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "DkimKey", SupportsShouldProcess = true)]
[OutputType(typeof(DkimDnsRecord))]
public sealed class NewDkimKeyCommand : PSCmdlet
{
    // Core's enum is stored as int (see SendSmtpMailCommand: no Core-typed fields on cmdlet classes).
    private int algorithm = (int)DkimAlgorithm.RsaSha256;

    /// <summary>Gets or sets the signing domain (d=).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Domain { get; set; } = string.Empty;

    /// <summary>Gets or sets the selector (s=), e.g. a date: the record is published at &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Selector { get; set; } = string.Empty;

    /// <summary>Gets or sets the file the private key is written to (PEM, PKCS#8, unencrypted, mode 0600 on Linux and macOS).</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [Alias("KeyPath", "PrivateKeyPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Gets or sets the algorithm: RsaSha256 (default) or Ed25519Sha256.</summary>
    [Parameter]
    public DkimAlgorithm Algorithm { get => (DkimAlgorithm)algorithm; set => algorithm = (int)value; }

    /// <summary>Gets or sets the RSA key size in bits (2048 by default; ignored for Ed25519).</summary>
    [Parameter]
    [ValidateSet("1024", "2048", "3072", "4096")]
    public int KeySize { get; set; } = 2048;

    /// <summary>Gets or sets whether an existing key file is replaced.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Makes the key, writes it and returns the record.</summary>
    protected override void EndProcessing()
    {
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(path, $"Write a new DKIM private key ({(Algorithm == DkimAlgorithm.Ed25519Sha256 ? "Ed25519" : $"RSA {KeySize}")}) for {Selector}._domainkey.{Domain}"))
        {
            return;
        }

        try
        {
            var key = DkimKey.Generate(Algorithm, KeySize);
            var record = new DkimDnsRecord(Domain, Selector, key, path);
            key.ExportPrivateKeyFile(path, Force);
            WriteObject(record);
        }
        catch (DkimException ex)
        {
            ThrowTerminatingError(DkimErrorRecords.FromDkim(ex));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var exists = ex is IOException && File.Exists(path) && !Force;
            ThrowTerminatingError(new ErrorRecord(ex, exists ? "DkimKeyFileExists" : "DkimKeyFileNotWritten", exists ? ErrorCategory.ResourceExists : ErrorCategory.WriteError, path)
            {
                ErrorDetails = new ErrorDetails(exists ? $"The file '{path}' exists: a key file is never replaced without -Force." : $"The key file '{path}' cannot be written: {ex.Message}"),
            });
        }
    }
}
