namespace SmtpOps.Relay.Hosting;

/// <summary>How the relay sends (setting <c>Relay:Transport</c>).</summary>
public enum RelayTransportKind
{
    /// <summary>SMTP submission to the smarthost of <c>Relay:Smarthost</c> (AUTH with a password, XOAUTH2 or none).</summary>
    Smtp,

    /// <summary>Microsoft Graph sendMail as the mailbox of <c>Relay:Graph:Mailbox</c>, with the identity of <c>Relay:OAuth</c>.</summary>
    Graph,

    /// <summary>Azure Communication Services Email at <c>Relay:Acs:Endpoint</c>, with the Function's managed identity by default.</summary>
    Acs,
}
