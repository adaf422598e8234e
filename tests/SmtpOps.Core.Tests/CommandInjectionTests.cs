using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using SmtpOps.Messages;
using SmtpOps.Probing;
using SmtpOps.Smtp;
using SmtpOps.TestServers;
using Xunit;

namespace SmtpOps.Tests;

/// <summary>
/// Every option that SmtpOps writes into an SMTP command line as given, tried with a CR, an LF and a NUL: each is
/// refused as header injection is, before anything connects (the server sees no session). The message's own fields
/// (addresses, subject, headers) go through MessageComposer and have their own tests.
/// </summary>
public sealed class CommandInjectionTests
{
    private const string Injected = "MAIL FROM:<injected@evil.test>";

    /// <summary>The options that reach the wire, by name, and how to set each on the connection or the probe.</summary>
    public static readonly IReadOnlyDictionary<string, Func<string, SmtpConnectionOptions, SmtpConnectionOptions>> SubmissionOptions =
        new Dictionary<string, Func<string, SmtpConnectionOptions, SmtpConnectionOptions>>
        {
            ["HeloName"] = (value, options) => options with { HeloName = value },
        };

    public static readonly IReadOnlyDictionary<string, Func<string, SmtpProbeOptions, SmtpProbeOptions>> ProbeOptions =
        new Dictionary<string, Func<string, SmtpProbeOptions, SmtpProbeOptions>>
        {
            ["HeloName"] = (value, options) => options with { HeloName = value },
            ["From"] = (value, options) => options with { From = value, To = "b@contoso.test" },
            ["To"] = (value, options) => options with { To = value },
        };

    private static readonly string[] Breaks = ["\r\n", "\r", "\n", "\0"];

    public static TheoryData<string, string> SubmissionCases => Cases(SubmissionOptions.Keys);

    public static TheoryData<string, string> ProbeCases => Cases(ProbeOptions.Keys);

    [Theory]
    [MemberData(nameof(SubmissionCases))]
    public async Task ASubmissionOptionWithALineBreakOrNulIsRefusedBeforeConnecting(string option, string lineBreak)
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new ScriptedSmtpServerOptions());
        var value = Value(option, lineBreak);
        var options = SubmissionOptions[option](value, new SmtpConnectionOptions { Host = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Retry = RetryPolicy.None });

        var refused = Assert.Throws<MessageValidationException>(() =>
        {
            using var submitter = new SmtpSubmitter(options);
            submitter.Send(MessageComposer.Prepare(new MailMessageDefinition { From = "a@contoso.test", To = ["b@contoso.test"], TextBody = "x" }));
        });

        Assert.Equal(MessageValidationError.HeaderInjection, refused.Error);
        Assert.Equal(value, refused.Target);
        Assert.StartsWith($"{option} contains a line break or NUL character", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.SessionCount);
    }

    [Theory]
    [MemberData(nameof(ProbeCases))]
    public async Task AProbeOptionWithALineBreakOrNulIsRefusedBeforeConnecting(string option, string lineBreak)
    {
        await using var server = await ScriptedSmtpServer.StartAsync(new ScriptedSmtpServerOptions());
        var value = Value(option, lineBreak);
        var options = ProbeOptions[option](value, new SmtpProbeOptions { Host = "localhost", Address = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Timeout = TimeSpan.FromSeconds(5) });

        var refused = await Assert.ThrowsAsync<MessageValidationException>(() => new SmtpProbe().ProbeAsync(options));

        Assert.Equal(MessageValidationError.HeaderInjection, refused.Error);
        Assert.Equal(value, refused.Target);
        Assert.StartsWith($"{option} contains a line break or NUL character", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.SessionCount);
        Assert.DoesNotContain(server.Commands, c => c.Contains("injected@evil.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheSameValuesWithoutTheLineBreakReachTheServerAsOneCommandEach()
    {
        // The counterpart: the options above do reach the wire (so the list is the right one), one line each.
        await using var server = await ScriptedSmtpServer.StartAsync(new ScriptedSmtpServerOptions());
        var options = new SmtpProbeOptions { Host = "localhost", Address = "127.0.0.1", Port = server.Port, Tls = new SmtpTlsPolicy { Security = SmtpSecurity.None }, Timeout = TimeSpan.FromSeconds(5) };
        foreach (var (option, set) in ProbeOptions)
        {
            options = set($"{option.ToLowerInvariant()}@contoso.test", options);
        }

        await new SmtpProbe().ProbeAsync(options);

        Assert.Contains("EHLO heloname@contoso.test", server.Commands);
        Assert.Contains("MAIL FROM:<from@contoso.test>", server.Commands);
        Assert.Contains("RCPT TO:<to@contoso.test>", server.Commands);
    }

    private static string Value(string option, string lineBreak) => $"{option.ToLowerInvariant()}@contoso.test>{lineBreak}{Injected}";

    private static TheoryData<string, string> Cases(IEnumerable<string> options)
    {
        var data = new TheoryData<string, string>();
        foreach (var option in options)
        {
            foreach (var lineBreak in Breaks)
            {
                data.Add(option, lineBreak);
            }
        }

        return data;
    }
}
