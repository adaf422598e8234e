using System;
using System.Management.Automation;
using System.Security;
using System.Threading;
using SmtpOps.Graph;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// Sends through Microsoft Graph (sendMail as a mailbox): one transport, one token and one kept-alive connection
/// for the pipeline; the mailbox defaults to the sender of the first message.
/// </summary>
internal sealed class GraphRoute : DeliveryRoute
{
    private readonly string? mailbox;
    private readonly Uri endpoint;
    private readonly SecureString accessToken;
    private readonly TimeSpan timeout;
    private readonly RetryPolicy retry;
    private readonly CancellationToken stopping;
    private GraphTransport? graph;

    /// <summary>Stops the cmdlet with InvalidGraphEndpoint unless the endpoint is https (or loopback).</summary>
    public GraphRoute(DeliveryOutput output, string? mailbox, Uri? endpoint, SecureString accessToken, TimeSpan timeout, RetryPolicy retry, CancellationToken stopping)
        : base(output)
    {
        this.endpoint = endpoint ?? GraphTransportOptions.PublicCloud;
        if (!this.endpoint.IsAbsoluteUri || (this.endpoint.Scheme != Uri.UriSchemeHttps && !this.endpoint.IsLoopback))
        {
            output.Stop(SmtpErrorRecords.Terminating("InvalidGraphEndpoint", ErrorCategory.InvalidArgument, $"-GraphEndpoint must be an https URL such as https://graph.microsoft.com/, not '{this.endpoint}'.", this.endpoint));
        }

        this.mailbox = mailbox;
        this.accessToken = accessToken;
        this.timeout = timeout;
        this.retry = retry;
        this.stopping = stopping;
    }

    public override string DescribeAction(ComposedMessage message) => $"Send mail as {mailbox ?? message.SenderAddress} via Microsoft Graph ({endpoint.Host})";

    public override void Deliver(ComposedMessage message, MailMessageDefinition definition)
    {
        using (message)
        {
            var sender = mailbox ?? message.SenderAddress;
            GraphSendResult result;
            var admission = Admit(definition, stopping);
            try
            {
                graph ??= new GraphTransport(new GraphTransportOptions
                {
                    Mailbox = sender,
                    Endpoint = endpoint,
                    AccessToken = CredentialParameters.Unwrap(accessToken),
                    Timeout = timeout,
                    Retry = retry,
                });
                result = graph.SendAsync(message, stopping).GetAwaiter().GetResult();
            }
            catch (GraphTransportException ex)
            {
                var record = GraphErrorRecords.FromTransport(ex, definition, sender);
                if (GraphErrorRecords.EndsPipeline(ex))
                {
                    Output.FailedForAll(record);
                    return;
                }

                Output.Failed(record);
                return;
            }
            finally
            {
                Release(admission);
            }

            Output.Sent(result, result.Subject);
        }
    }

    public override void Dispose() => graph?.Dispose();
}
