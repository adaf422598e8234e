using System;
using SmtpOps.Messages;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// One way Send-SmtpMail delivers: over SMTP (one connection or a pool), onto the relay queue, or through
/// Microsoft Graph. The cmdlet picks one in BeginProcessing, hands it every composed message, and completes it at the end.
/// </summary>
internal abstract class DeliveryRoute : IDisposable
{
    protected DeliveryRoute(DeliveryOutput output) => Output = output;

    /// <summary>Gets where results, errors and progress are written.</summary>
    public DeliveryOutput Output { get; }

    /// <summary>The -WhatIf/-Confirm action for a message, e.g. "Send mail via host:port".</summary>
    public abstract string DescribeAction(ComposedMessage message);

    /// <summary>Delivers one message; the route owns it from here on and disposes it once it is sent or given up.</summary>
    public abstract void Deliver(ComposedMessage message, MailMessageDefinition definition);

    /// <summary>Finishes the deliveries still under way and writes their outcomes.</summary>
    public virtual void Complete()
    {
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }
}
