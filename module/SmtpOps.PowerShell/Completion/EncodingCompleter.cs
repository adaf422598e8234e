using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace SmtpOps.PowerShell.Completion;

/// <summary>Completes -Encoding with the names <see cref="Transformation.EncodingTransformationAttribute"/> accepts.</summary>
public sealed class EncodingCompleter : IArgumentCompleter
{
    private static readonly string[] Names = { "utf8", "ascii", "unicode", "bigendianunicode", "utf32", "latin1" };

    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        => Names
            .Where(n => n.StartsWith((wordToComplete ?? string.Empty).Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
}
