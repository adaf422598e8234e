using System.Collections.Generic;

namespace SmtpOps.Tests.Spf;

/// <summary>One scenario of the openspf test suite.</summary>
public sealed record SpfTestScenario(
    string Id,
    string Section,
    string Spec,
    string Host,
    string MailFrom,
    string Helo,
    IReadOnlyList<string> Results,
    string? Explanation,
    SpfTestZone Zone);
