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

    /// <summary>A custom header name is not a valid RFC 5322 field name, or is reserved.</summary>
    InvalidHeader,

    /// <summary>An attachment or inline file does not exist.</summary>
    AttachmentNotFound,

    /// <summary>An attachment exists but cannot be read.</summary>
    AttachmentUnreadable,

    /// <summary>Two inline parts share a content id, or a content id is malformed.</summary>
    InvalidContentId,
}
