using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Smtp;

namespace SmtpOps.Graph;

/// <summary>
/// What happened to one message that Microsoft Graph accepted for sending (202 Accepted). The same shape as
/// <see cref="SmtpSendResult"/> where the meaning is the same; Graph reports no per-recipient answer, so every
/// recipient of the message is listed as accepted with status 202 (a bounce, if any, comes later as mail).
/// </summary>
public sealed class GraphSendResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="messageId">The Message-ID of the message.</param>
    /// <param name="subject">The subject.</param>
    /// <param name="mailbox">The mailbox it was sent as.</param>
    /// <param name="endpoint">The Graph endpoint.</param>
    /// <param name="route">How it went.</param>
    /// <param name="recipients">The recipients of the message.</param>
    /// <param name="requestId">Graph's request-id of the request that sent it, or <c>null</c>.</param>
    /// <param name="elapsed">The time from the first attempt to Graph's final answer.</param>
    /// <param name="attempts">How many HTTP attempts it took beyond the requests the route needs (1 without retries).</param>
    public GraphSendResult(string messageId, string subject, string mailbox, Uri endpoint, GraphSendRoute route, IReadOnlyList<SmtpRecipientResult> recipients, string? requestId, TimeSpan elapsed, int attempts)
    {
        MessageId = messageId;
        Subject = subject;
        Mailbox = mailbox;
        Endpoint = endpoint;
        Route = route;
        Recipients = recipients.ToList().AsReadOnly();
        Accepted = Recipients;
        Rejected = new List<SmtpRecipientResult>().AsReadOnly();
        RequestId = requestId;
        Elapsed = elapsed;
        Attempts = attempts;
    }

    /// <summary>Gets the Message-ID (without angle brackets).</summary>
    public string MessageId { get; }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Gets the mailbox the message was sent as (the user in /users/{mailbox}).</summary>
    public string Mailbox { get; }

    /// <summary>Gets the Graph endpoint (https://graph.microsoft.com/ or a national cloud's).</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets how the message went: one sendMail, or a draft with upload sessions.</summary>
    public GraphSendRoute Route { get; }

    /// <summary>Gets every recipient of the message.</summary>
    public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

    /// <summary>Gets the recipients Graph accepted the message for (all of them: Graph answers for the message as a whole).</summary>
    public IReadOnlyList<SmtpRecipientResult> Accepted { get; }

    /// <summary>Gets the recipients refused at submission (always empty: Graph refuses a message as a whole, with an error).</summary>
    public IReadOnlyList<SmtpRecipientResult> Rejected { get; }

    /// <summary>Gets the HTTP status of the final answer (202 Accepted).</summary>
    public int StatusCode => 202;

    /// <summary>Gets the final answer in words.</summary>
    public string Response => "202 Accepted";

    /// <summary>Gets Graph's request-id of the request that sent the message, for a support case.</summary>
    public string? RequestId { get; }

    /// <summary>Gets the time from the first attempt to Graph's final answer.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets how many attempts it took (1 without retries; each retried request adds one).</summary>
    public int Attempts { get; }
}
