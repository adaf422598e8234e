using System;

namespace SmtpOps.Probing;

/// <summary>How a <see cref="ProbeStage"/> is named in check reasons, e.g. "the probe stopped at EHLO after TLS".</summary>
internal static class ProbeStageText
{
    /// <summary>Gets the stage's name as the user reads it.</summary>
    /// <param name="stage">The stage.</param>
    /// <returns>"connect", "TLS", "banner", "EHLO", "STARTTLS", "EHLO after TLS", "open relay test", "AUTH", "recipient test" or "QUIT".</returns>
    public static string Describe(this ProbeStage stage) => stage switch
    {
        ProbeStage.Connect => "connect",
        ProbeStage.Tls => "TLS",
        ProbeStage.Banner => "banner",
        ProbeStage.Ehlo => "EHLO",
        ProbeStage.StartTls => "STARTTLS",
        ProbeStage.EhloAfterTls => "EHLO after TLS",
        ProbeStage.OpenRelayTest => "open relay test",
        ProbeStage.Auth => "AUTH",
        ProbeStage.RecipientTest => "recipient test",
        ProbeStage.Quit => "QUIT",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };
}
