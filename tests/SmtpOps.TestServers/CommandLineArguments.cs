using System;
using System.Collections.Generic;
using System.Globalization;

namespace SmtpOps.TestServers;

/// <summary>
/// Reads one command's <c>--name [value]</c> arguments from left to right: <see cref="Next"/> gives the next option's
/// name, and the command asks for that option's value in the form it wants (<see cref="Value"/>, <see cref="Number()"/>,
/// <see cref="Port"/>, <see cref="Pair"/>, <see cref="OneOf"/>); an option that asks for nothing is a flag. Every mistake
/// is a <see cref="CommandLineException"/>, which <see cref="Program"/> prints with the command's usage (exit code 2).
/// </summary>
internal sealed class CommandLineArguments
{
    private readonly IReadOnlyList<string> _args;
    private int _index;
    private string _option = string.Empty;

    /// <param name="args">The process's arguments; the first is the command and is skipped.</param>
    public CommandLineArguments(IReadOnlyList<string> args)
    {
        _args = args;
    }

    /// <summary>The next option's name (as given, e.g. <c>--port</c>), or null when every argument has been read.</summary>
    public string? Next()
    {
        if (++_index >= _args.Count)
        {
            return null;
        }

        _option = _args[_index];
        return _option;
    }

    /// <summary>The current option's value: the argument after it.</summary>
    public string Value() =>
        _index + 1 < _args.Count ? _args[++_index] : throw new CommandLineException($"{_option} needs a value.");

    /// <summary>The current option's value as a non-negative whole number.</summary>
    public int Number() => Number(Value());

    /// <summary><paramref name="text"/> (part of the current option's value) as a non-negative whole number.</summary>
    public int Number(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new CommandLineException($"{_option} takes a non-negative number, not '{text}'.");

    /// <summary>The current option's value as a TCP or UDP port, 0 to 65535.</summary>
    public int Port()
    {
        var text = Value();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new CommandLineException($"{_option} takes a port from 0 to 65535, not '{text}'.");
    }

    /// <summary>The current option's value split at its first colon, as in <c>NAME:PASSWORD</c>; neither part may be missing but the second may be empty.</summary>
    /// <param name="shape">The value's shape for the error, e.g. <c>NAME:PASSWORD</c>.</param>
    public (string Name, string Value) Pair(string shape)
    {
        var text = Value();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? (text[..colon], text[(colon + 1)..]) : throw new CommandLineException($"{_option} takes {shape}.");
    }

    /// <summary>The current option's value, which must be one of <paramref name="choices"/>.</summary>
    public string OneOf(params string[] choices)
    {
        var text = Value();
        return Array.IndexOf(choices, text) >= 0
            ? text
            : throw new CommandLineException($"{_option} is {string.Join(", ", choices[..^1])} or {choices[^1]}, not '{text}'.");
    }

    /// <summary>The error for an option the command does not know: <c>throw arguments.Unknown();</c>.</summary>
    public CommandLineException Unknown() => new($"Unknown argument: {_option}");

    /// <summary><paramref name="value"/>, or the error that the option <paramref name="name"/> is required when it was not given.</summary>
    public static string Required(string? value, string name) => value ?? throw new CommandLineException($"{name} is required.");

    /// <summary><paramref name="value"/>, or the error that the option <paramref name="name"/> is required when it was not given.</summary>
    public static int Required(int? value, string name) => value ?? throw new CommandLineException($"{name} is required.");
}
