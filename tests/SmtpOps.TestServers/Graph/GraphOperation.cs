namespace SmtpOps.TestServers.Graph;

/// <summary>A request of the mail-sending contract, for faults scripted at one kind of request (<see cref="GraphContractEndpoint.Script(GraphOperation, GraphFault, int, int, int)"/>).</summary>
public enum GraphOperation
{
    /// <summary>POST /users/{id}/sendMail.</summary>
    SendMail,

    /// <summary>POST /users/{id}/messages: a draft from MIME.</summary>
    CreateDraft,

    /// <summary>POST /users/{id}/messages/{id}/attachments/createUploadSession.</summary>
    CreateUploadSession,

    /// <summary>PUT {uploadUrl}: one byte range of an attachment.</summary>
    UploadRange,

    /// <summary>GET {uploadUrl}: the upload session's status (nextExpectedRanges).</summary>
    UploadStatus,

    /// <summary>GET /users/{id}/messages/{id}/attachments: the attachments on a draft.</summary>
    ListAttachments,

    /// <summary>POST /users/{id}/messages/{id}/attachments: a file attachment under 3 MB in one request.</summary>
    AddAttachment,

    /// <summary>POST /users/{id}/messages/{id}/send.</summary>
    SendDraft,

    /// <summary>DELETE /users/{id}/messages/{id}.</summary>
    DeleteMessage,
}
