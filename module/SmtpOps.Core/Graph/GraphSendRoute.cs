namespace SmtpOps.Graph;

/// <summary>How a message went to Microsoft Graph.</summary>
public enum GraphSendRoute
{
    /// <summary>One <c>POST /users/{mailbox}/sendMail</c> with the whole MIME (Base64): what was composed is what is sent.</summary>
    SendMail,

    /// <summary>A draft from the MIME without its large attachments, one upload session per large attachment, then <c>send</c>.</summary>
    DraftWithUploadSessions,
}
