using System;
using System.Collections.Generic;
using System.Linq;
using SmtpOps.Smtp;

namespace SmtpOps.Acs;

/// <summary>
/// What happened to one message sent through Azure Communication Services Email: accepted (202) under its operation id
/// and polled to Succeeded, or still NotStarted/Running when polling ended (ACS goes on with it). The same shape as
/// <see cref="SmtpSendResult"/> where the meaning is the same; ACS answers for the message as a whole, so every recipient
/// is listed as accepted (a bounce, if any, is reported later by ACS's events, not here). A Failed or Canceled operation
/// is not a result: it is an <see cref="AcsTransportException"/> of kind <see cref="AcsFailureKind.OperationFailed"/>.
/// </summary>
public sealed class AcsSendResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="messageId">The Message-ID of the message.</param>
    /// <param name="subject">The subject.</param>
    /// <param name="senderAddress">The senderAddress it was sent as.</param>
    /// <param name="endpoint">The resource's endpoint.</param>
    /// <param name="operationId">The operation id (the Operation-Id it was sent under).</param>
    /// <param name="status">The operation's last status: Succeeded, or NotStarted/Running when polling ended first.</param>
    /// <param name="recipients">The recipients of the message.</param>
    /// <param name="elapsed">The time from the first attempt to the last answer.</param>
    /// <param name="attempts">How many HTTP attempts the send itself took (1 without retries).</param>
    /// <param name="polls">How many times the operation was polled.</param>
    public AcsSendResult(string messageId, string subject, string senderAddress, Uri endpoint, string operationId, string status, IReadOnlyList<SmtpRecipientResult> recipients, TimeSpan elapsed, int attempts, int polls)
    {
        MessageId = messageId;
        Subject = subject;
        SenderAddress = senderAddress;
        Endpoint = endpoint;
        OperationId = operationId;
        Status = status;
        Recipients = recipients;
        Accepted = recipients.Where(r => r.Accepted).ToList();
        Rejected = recipients.Where(r => !r.Accepted).ToList();
        Elapsed = elapsed;
        Attempts = attempts;
        Polls = polls;
    }

    /// <summary>Gets the Message-ID of the message.</summary>
    public string MessageId { get; }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Gets the senderAddress the message was sent as (a MailFrom address of a domain connected to the resource).</summary>
    public string SenderAddress { get; }

    /// <summary>Gets the resource's endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the operation id: the client-chosen Operation-Id the send ran under, for a support case and ACS's logs and events.</summary>
    public string OperationId { get; }

    /// <summary>Gets the operation's final status (Succeeded), or NotStarted/Running when polling ended before ACS finished.</summary>
    public string Status { get; }

    /// <summary>Gets whether the operation reached Succeeded.</summary>
    public bool Succeeded => Status == "Succeeded";

    /// <summary>Gets every recipient of the message.</summary>
    public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

    /// <summary>Gets the recipients ACS accepted the message for (all of them: ACS answers for the message as a whole).</summary>
    public IReadOnlyList<SmtpRecipientResult> Accepted { get; }

    /// <summary>Gets the recipients refused at submission (always empty: ACS refuses a message as a whole).</summary>
    public IReadOnlyList<SmtpRecipientResult> Rejected { get; }

    /// <summary>Gets the HTTP status of the send (202 Accepted).</summary>
    public int StatusCode => 202;

    /// <summary>Gets the answer in words: the status and the operation id.</summary>
    public string Response => $"202 Accepted, operation {OperationId} {Status}";

    /// <summary>Gets the time from the first attempt to the last answer (polling included).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets how many HTTP attempts the send took (1 without retries; polls are not counted).</summary>
    public int Attempts { get; }

    /// <summary>Gets how many times the operation was polled.</summary>
    public int Polls { get; }
}
