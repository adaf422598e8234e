using System;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace SmtpOps.Relay.LocalHost;

/// <summary>
/// Shortens how long the queue listener keeps the messages it receives invisible. The WebJobs SDK
/// (like the Functions host) receives with a fixed 10-minute visibility and renews it while the
/// function runs, so the messages a crashed process held come back only after 10 minutes. With
/// <see cref="QueueHostSettings.InFlightVisibilityTimeout"/> set, receive requests ask for that
/// instead: a restarted relay picks them up sooner. It must exceed the longest single delivery;
/// if one takes longer, the message is delivered twice concurrently and the idempotency ledger
/// turns the second into a retry, then a duplicate: no second mail.
/// </summary>
internal sealed class ReceiveVisibilityPolicy : HttpPipelineSynchronousPolicy
{
    private readonly string seconds;

    public ReceiveVisibilityPolicy(TimeSpan visibility) => seconds = ((int)Math.Ceiling(visibility.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        if (request.Method != RequestMethod.Get)
        {
            return;
        }

        var uri = request.Uri.ToUri();
        if (!uri.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal)
            || !uri.Query.Contains("numofmessages=", StringComparison.OrdinalIgnoreCase)
            || !uri.Query.Contains("visibilitytimeout=", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        // Receive ("Get Messages"), not peek: replace the listener's visibility with ours. The request
        // is signed after this per-call policy runs.
        var builder = new UriBuilder(uri);
        var parts = builder.Query.TrimStart('?').Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].StartsWith("visibilitytimeout=", StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = "visibilitytimeout=" + seconds;
            }
        }

        builder.Query = string.Join("&", parts);
        request.Uri.Reset(builder.Uri);
    }
}
