using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;

namespace SmtpOps.PowerShell.Transformation;

/// <summary>
/// Accepts certificates as objects or as paths to .cer/.crt/.pem files, resolved against the
/// current PowerShell location (not the process's working directory, as a plain conversion would).
/// </summary>
public sealed class CertificateFileTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var items = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        var values = items is IEnumerable list and not string ? list : new[] { items };
        var certificates = new List<object>();
        foreach (var value in values)
        {
            var item = value is PSObject inner ? inner.BaseObject : value;
            if (item is string path)
            {
                var resolved = engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                try
                {
                    certificates.Add(new X509Certificate2(resolved));
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    throw new ArgumentTransformationMetadataException($"'{resolved}' is not a readable certificate file: {ex.Message}", ex);
                }
            }
            else
            {
                certificates.Add(item);
            }
        }

        return certificates.ToArray();
    }
}
