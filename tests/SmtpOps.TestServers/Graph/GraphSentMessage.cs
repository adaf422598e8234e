using System;
using System.Collections.Generic;

namespace SmtpOps.TestServers.Graph;

/// <summary>A message the Graph contract endpoint accepted for sending, as it would leave the mailbox.</summary>
/// <param name="Mailbox">The user id or address in the request path (<c>/users/{id}/...</c>).</param>
/// <param name="Mime">The decoded MIME of the message (for a draft: the MIME it was created from, without the uploaded attachments).</param>
/// <param name="Attachments">The attachments uploaded through upload sessions, in upload order.</param>
/// <param name="Route">How it was sent: <c>sendMail</c> or <c>draft</c> (create, upload sessions, send).</param>
/// <param name="SentAt">When the endpoint accepted it.</param>
public sealed record GraphSentMessage(string Mailbox, byte[] Mime, IReadOnlyList<GraphUploadedAttachment> Attachments, string Route, DateTimeOffset SentAt);
