using System;
using System.Management.Automation;
using System.Security;
using System.Threading;
using SmtpOps.Acs;
using SmtpOps.Messages;
using SmtpOps.PowerShell.Parameters;
using SmtpOps.Smtp;

namespace SmtpOps.PowerShell.Commands.Delivery;

/// <summary>
/// Sends through Azure Communication Services Email (REST): one transport, one token or access key and one kept-alive
/// connection for the pipeline; each message under a new Operation-Id that its retries repeat, polled to its final status.
/// </summary>
internal sealed class AcsRoute : DeliveryRoute
{
    private readonly AcsEmailTransport? acs;
    private readonly CancellationToken stopping;

    /// <summary>Stops the cmdlet with InvalidAcsEndpoint or InvalidAcsAccessKey before anything is sent.</summary>
    public AcsRoute(DeliveryOutput output, Uri endpoint, SecureString? accessToken, SecureString? accessKey, TimeSpan timeout, RetryPolicy retry, CancellationToken stopping)
        : base(output)
    {
        this.stopping = stopping;
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && !endpoint.IsLoopback))
        {
            output.Stop(SmtpErrorRecords.Terminating("InvalidAcsEndpoint", ErrorCategory.InvalidArgument, $"-AcsEndpoint must be the https endpoint of the Communication Services resource, such as https://contoso.communication.azure.com/, not '{endpoint}'.", endpoint));
            return;
        }

        try
        {
            acs = new AcsEmailTransport(new AcsEmailOptions
            {
                Endpoint = endpoint,
                AccessToken = accessToken is null ? null : CredentialParameters.Unwrap(accessToken),
                AccessKey = accessKey is null ? null : CredentialParameters.Unwrap(accessKey),
                Timeout = timeout,
                Retry = retry,
            });
        }
        catch (ArgumentException ex)
        {
            // The message names what is wrong with the key or token, never its value.
            output.Stop(SmtpErrorRecords.Terminating(accessKey is null ? "InvalidAcsAccessToken" : "InvalidAcsAccessKey", ErrorCategory.InvalidArgument, ex.Message, endpoint));
        }
    }

    public override string DescribeAction(ComposedMessage message) => $"Send mail as {message.SenderAddress} via Azure Communication Services ({acs?.Endpoint.Host})";

    public override void Deliver(ComposedMessage message, MailMessageDefinition definition)
    {
        using (message)
        {
            AcsSendResult result;
            var admission = Admit(definition, stopping);
            try
            {
                result = acs!.SendAsync(message, operationId: null, stopping).GetAwaiter().GetResult();
            }
            catch (AcsTransportException ex)
            {
                var record = AcsErrorRecords.FromTransport(ex, definition, acs!.Endpoint);
                if (AcsErrorRecords.EndsPipeline(ex))
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

    public override void Dispose() => acs?.Dispose();
}
