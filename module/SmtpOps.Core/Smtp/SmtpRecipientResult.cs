namespace SmtpOps.Smtp;

/// <summary>The server's answer to one recipient (RCPT TO).</summary>
public sealed class SmtpRecipientResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="address">The recipient address.</param>
    /// <param name="accepted">Whether the server accepted the recipient.</param>
    /// <param name="statusCode">The SMTP reply code, e.g. 250 or 550.</param>
    /// <param name="response">The reply text, e.g. "5.1.1 User unknown".</param>
    public SmtpRecipientResult(string address, bool accepted, int statusCode, string response)
    {
        Address = address;
        Accepted = accepted;
        StatusCode = statusCode;
        Response = response;
    }

    /// <summary>Gets the recipient address.</summary>
    public string Address { get; }

    /// <summary>Gets whether the server accepted the recipient.</summary>
    public bool Accepted { get; }

    /// <summary>Gets the SMTP reply code.</summary>
    public int StatusCode { get; }

    /// <summary>Gets the reply text.</summary>
    public string Response { get; }

    /// <inheritdoc />
    public override string ToString() => Accepted ? Address : $"{Address} ({StatusCode} {Response})";
}
