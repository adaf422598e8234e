using System;
using System.Management.Automation;
using System.Text;

namespace SmtpOps.PowerShell.Transformation;

/// <summary>
/// Accepts an encoding by the names PowerShell 7's -Encoding parameters use (utf8, utf8NoBOM,
/// ascii, unicode, bigendianunicode, utf32, latin1), by code page number, by web name, or as
/// a System.Text.Encoding object.
/// </summary>
public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case Encoding encoding:
                return encoding;
            case int codePage:
                return Encoding.GetEncoding(codePage);
            case string name:
                switch (name.ToLowerInvariant())
                {
                    case "utf8":
                    case "utf-8":
                    case "utf8nobom":
                    case "utf8bom":
                    case "default":
                        return new UTF8Encoding(false);
                    case "ascii":
                        return Encoding.ASCII;
                    case "unicode":
                        return Encoding.Unicode;
                    case "bigendianunicode":
                        return Encoding.BigEndianUnicode;
                    case "utf32":
                        return Encoding.UTF32;
                    case "latin1":
                        return Encoding.GetEncoding("iso-8859-1");
                    default:
                        try
                        {
                            return Encoding.GetEncoding(name);
                        }
                        catch (ArgumentException ex)
                        {
                            throw new ArgumentTransformationMetadataException($"'{name}' is not a known encoding. Use utf8, ascii, unicode, bigendianunicode, utf32, latin1 or a code page.", ex);
                        }
                }

            default:
                return inputData;
        }
    }
}
