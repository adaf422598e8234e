using System;
using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;

namespace SmtpOps.Acs;

/// <summary>
/// Signs a request with the resource's access key as ACS documents it
/// (https://learn.microsoft.com/en-us/rest/api/communication/authentication,
/// https://learn.microsoft.com/en-us/azure/communication-services/tutorials/hmac-header-tutorial): x-ms-date (RFC 1123),
/// x-ms-content-sha256 (Base64 SHA-256 of the body, of nothing for a GET), and
/// <c>Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=...</c>, the signature being the
/// Base64 HMAC-SHA256, keyed with the Base64-decoded access key, of "VERB\npath-and-query\ndate;host;content-hash".
/// The key is held as bytes only; nothing here logs or returns it.
/// </summary>
internal sealed class AcsRequestSigner
{
    private readonly byte[] key;

    public AcsRequestSigner(string accessKey)
    {
        try
        {
            key = Convert.FromBase64String(accessKey.Trim());
        }
        catch (FormatException ex)
        {
            // The key itself is never part of the message.
            throw new ArgumentException("The ACS access key is not Base64 (copy the key, not the connection string).", nameof(accessKey), ex);
        }

        if (key.Length == 0)
        {
            throw new ArgumentException("The ACS access key is empty.", nameof(accessKey));
        }
    }

    /// <summary>The string ACS signs, for the test endpoint and this signer alike.</summary>
    public static string StringToSign(string method, string pathAndQuery, string date, string host, string contentHash)
        => method.ToUpperInvariant() + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash;

    public static string ContentHash(byte[] body, int length)
    {
        using var sha = SHA256.Create();
        return Convert.ToBase64String(sha.ComputeHash(body, 0, length));
    }

    public void Sign(HttpRequestMessage request, byte[] body, int length, DateTimeOffset now)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var date = now.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);
        var contentHash = ContentHash(body, length);
        string signature;
        using (var hmac = new HMACSHA256(key))
        {
            signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(StringToSign(request.Method.Method, uri.PathAndQuery, date, uri.Authority, contentHash))));
        }

        request.Headers.TryAddWithoutValidation("x-ms-date", date);
        request.Headers.TryAddWithoutValidation("x-ms-content-sha256", contentHash);
        request.Headers.TryAddWithoutValidation("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + signature);
    }
}
