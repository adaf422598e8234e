namespace SmtpOps.Messages;

/// <summary>Why a message definition was refused before anything was sent.</summary>
public enum MessageValidationError
{
    /// <summary>An address is not a valid RFC 5322 mailbox with a domain.</summary>
    InvalidAddress,

    /// <summary>There is no sender.</summary>
    MissingSender,

    /// <summary>There is no recipient in To, Cc or Bcc.</summary>
    MissingRecipient,

    /// <summary>A subject, header or display name contains CR, LF or NUL (header injection).</summary>
    HeaderInjection,

    /// <summary>
    /// A custom header name is not a valid RFC 5322 field name, or is reserved: a field the composer writes
    /// itself, a Resent-* or ARC-* field, or a trace or authentication field (Return-Path, Received,
    /// Authentication-Results, DKIM-Signature). Also a Message-ID that is not written as given.
    /// </summary>
    InvalidHeader,

    /// <summary>An attachment or inline file does not exist.</summary>
    AttachmentNotFound,

    /// <summary>An attachment exists but cannot be read.</summary>
    AttachmentUnreadable,

    /// <summary>Two inline parts share a content id, or a content id is malformed.</summary>
    InvalidContentId,

    /// <summary>
    /// An attachment's content type is not a MIME type a file can have: not type/subtype with valid
    /// parameters (RFC 2045), or a multipart type.
    /// </summary>
    InvalidContentType,
}
