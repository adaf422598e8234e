namespace SmtpOps.Graph;

/// <summary>What to do about Graph's refusals that have one answer (https://learn.microsoft.com/en-us/graph/errors).</summary>
internal static class GraphGuidance
{
    public static string? For(int status, string? code, string mailbox, string scope) => (status, code) switch
    {
        (403, _) or (_, "ErrorAccessDenied") =>
            $"Grant the app the Mail.Send application permission (with admin consent), or scope it to this mailbox with RBAC for Applications in Exchange Online (New-ManagementRoleAssignment -App <service principal> -Role 'Application Mail.Send' -CustomResourceScope <scope containing {mailbox}>); an application access policy that leaves out {mailbox} is refused the same way.",
        (401, _) =>
            $"The token was refused: it must be for Microsoft Graph (scope {scope}, aud https://graph.microsoft.com) and not expired.",
        (404, _) or (_, "ErrorInvalidUser") or (_, "MailboxNotEnabledForRESTAPI") =>
            $"Check the mailbox '{mailbox}': it must be an Exchange Online mailbox of the token's tenant, given as its user principal name or object id.",
        (413, _) =>
            "The request is over Graph's 4 MB limit.",
        (_, "ErrorMimeContentInvalidBase64String") or (_, "ErrorMimeContentInvalid") =>
            "The MIME was not accepted as sent; this is a defect in the sender, please report it.",
        _ => null,
    };
}
