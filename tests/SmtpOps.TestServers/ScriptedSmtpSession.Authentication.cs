using System;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>AUTH PLAIN, LOGIN (RFC 4954) and XOAUTH2 (Google, Microsoft) for a <see cref="ScriptedSmtpSession"/>.</summary>
internal sealed partial class ScriptedSmtpSession
{
    const string InvalidCredentials = "535 5.7.8 Authentication credentials invalid";
    const string Cancelled = "501 5.7.0 Authentication cancelled";

    // What Gmail answers to a bad XOAUTH2 token (https://developers.google.com/workspace/gmail/imap/xoauth2-protocol).
    const string OAuthError = """{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}""";

    Task<bool> AuthAsync(string argument)
    {
        var words = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        var mechanism = words.Length > 0 ? words[0].ToUpperInvariant() : string.Empty;
        var initial = words.Length > 1 ? words[1] : null;
        if (!_extended)
        {
            return ReplyAsync("503 5.5.1 Send EHLO first");
        }

        if (_user is not null)
        {
            return ReplyAsync("503 5.5.1 Already authenticated");
        }

        if (_from is not null)
        {
            return ReplyAsync("503 5.5.1 AUTH not allowed in a mail transaction");
        }

        if (!_mechanisms.Contains(mechanism, StringComparer.OrdinalIgnoreCase))
        {
            return ReplyAsync(mechanism.Length == 0 ? "501 5.5.4 Syntax: AUTH mechanism [initial-response]" : "504 5.5.4 Unrecognized authentication type");
        }

        if (!AuthOffered)
        {
            return ReplyAsync("538 5.7.11 Encryption required for requested authentication mechanism");
        }

        return mechanism switch
        {
            "PLAIN" => PlainAsync(initial),
            "LOGIN" => LoginAsync(initial),
            "XOAUTH2" => OAuth2Async(initial),
            _ => ReplyAsync("504 5.5.4 Unrecognized authentication type"),
        };
    }

    async Task<bool> PlainAsync(string? initial)
    {
        var response = initial ?? await ChallengeAsync(string.Empty).ConfigureAwait(false);
        if (response is null)
        {
            return false;
        }

        if (response == "*")
        {
            return await ReplyAsync(Cancelled).ConfigureAwait(false);
        }

        if (!TryDecode(response, out var text))
        {
            return await ReplyAsync("501 5.5.2 Cannot decode response").ConfigureAwait(false);
        }

        var fields = text.Split('\0');
        return fields.Length == 3
            ? await CheckPasswordAsync(fields[1], fields[2]).ConfigureAwait(false)
            : await ReplyAsync(InvalidCredentials).ConfigureAwait(false);
    }

    async Task<bool> LoginAsync(string? initial)
    {
        var user = initial ?? await ChallengeAsync("VXNlcm5hbWU6").ConfigureAwait(false); // "Username:"
        var password = user is null or "*" ? user : await ChallengeAsync("UGFzc3dvcmQ6").ConfigureAwait(false); // "Password:"
        if (password is null)
        {
            return false;
        }

        if (user == "*" || password == "*")
        {
            return await ReplyAsync(Cancelled).ConfigureAwait(false);
        }

        return TryDecode(user!, out var userText) && TryDecode(password, out var passwordText)
            ? await CheckPasswordAsync(userText, passwordText).ConfigureAwait(false)
            : await ReplyAsync("501 5.5.2 Cannot decode response").ConfigureAwait(false);
    }

    Task<bool> CheckPasswordAsync(string user, string password)
    {
        if (_options.Users is { } users && users.TryGetValue(user, out var expected) && expected == password)
        {
            Authenticated(user);
            return ReplyAsync("235 2.7.0 Authentication successful");
        }

        return ReplyAsync(InvalidCredentials);
    }

    async Task<bool> OAuth2Async(string? initial)
    {
        var response = initial ?? await ChallengeAsync(string.Empty).ConfigureAwait(false);
        if (response is null)
        {
            return false;
        }

        if (response == "*")
        {
            return await ReplyAsync(Cancelled).ConfigureAwait(false);
        }

        _server.RecordAuthenticationResponse(response);
        if (TryDecode(response, out var text) && ParseOAuth2(text) is var (user, token)
            && _options.OAuthTokens is { } tokens && tokens.TryGetValue(user, out var expected) && expected == token)
        {
            Authenticated(user);
            return await ReplyAsync("235 2.7.0 Accepted").ConfigureAwait(false);
        }

        // Google and Microsoft: the error as a base64 JSON challenge, an empty client line, then 535.
        var answer = await ChallengeAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(OAuthError))).ConfigureAwait(false);
        return answer is not null && await ReplyAsync(answer == "*" ? Cancelled : "535 5.7.8 Username and Password not accepted").ConfigureAwait(false);
    }

    /// <summary>The user and token of an XOAUTH2 response, exactly "user=" U "^Aauth=Bearer " T "^A^A"; null otherwise.</summary>
    static (string User, string Token)? ParseOAuth2(string text)
    {
        const string UserPrefix = "user=";
        const string AuthPrefix = "\u0001auth=Bearer ";
        const string End = "\u0001\u0001";
        var authAt = text.IndexOf(AuthPrefix, StringComparison.Ordinal);
        if (!text.StartsWith(UserPrefix, StringComparison.Ordinal) || !text.EndsWith(End, StringComparison.Ordinal) || authAt < 0
            || authAt + AuthPrefix.Length > text.Length - End.Length)
        {
            return null;
        }

        var user = text[UserPrefix.Length..authAt];
        var token = text[(authAt + AuthPrefix.Length)..^End.Length];
        return user.Length > 0 && token.Length > 0 && !user.Contains('\u0001', StringComparison.Ordinal) && !token.Contains('\u0001', StringComparison.Ordinal)
            ? (user, token)
            : null;
    }

    void Authenticated(string user)
    {
        _user = user;
        _server.RecordAuthenticatedUser(user);
    }

    /// <summary>Sends "334 challenge" and returns the client's line (raw, still base64); null at end of stream.</summary>
    async Task<string?> ChallengeAsync(string challenge)
    {
        await ReplyAsync("334 " + challenge).ConfigureAwait(false);
        var line = await _reader.ReadLineAsync(MaxCommandLength, _ct).ConfigureAwait(false);
        return line is null ? null : Encoding.ASCII.GetString(line).Trim();
    }

    static bool TryDecode(string base64, out string text)
    {
        var bytes = new byte[base64.Length];
        var ok = Convert.TryFromBase64String(base64 == "=" ? string.Empty : base64, bytes, out var length);
        text = ok ? Encoding.UTF8.GetString(bytes, 0, length) : string.Empty;
        return ok;
    }
}
