using System.Management.Automation;
using System.Security;

namespace SmtpOps.PowerShell.Transformation;

/// <summary>
/// Accepts a token either as a SecureString or as a plain string (what most token commands
/// return) and stores it as a SecureString.
/// </summary>
public sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not string text)
        {
            return inputData;
        }

        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }
}
