// Past the house's 450 lines on purpose: one ESMTP session state machine (greeting, EHLO, STARTTLS, AUTH, the
// transaction, every scripted fault) reads best in one place; its options decide which branch runs.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SmtpOps.TestServers;

/// <summary>One connection of a <see cref="ScriptedSmtpServer"/>: the SMTP state machine, driven by the server's options (AUTH in the other part).</summary>
internal sealed partial class ScriptedSmtpSession
{
    const int MaxCommandLength = 16 * 1024; // XOAUTH2 responses carry access tokens of a few KiB
    const int MaxDataLineLength = 64 * 1024;
    const int MaxChunkSize = 64 * 1024 * 1024;
    const string LineTooLong = "500 5.5.2 Line too long";
    const string Unrecognized = "500 5.5.2 Command not recognized";

    static readonly byte[] GarbageResponse =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request"u8.ToArray();

    readonly ScriptedSmtpServer _server;
    readonly ScriptedSmtpServerOptions _options;
    readonly TcpClient _client;
    readonly int _number;
    readonly CancellationToken _ct;
    readonly IReadOnlyList<string> _mechanisms;
    readonly HashSet<string> _rejectRecipients;
    readonly HashSet<string>? _acceptedDomains;
    readonly long? _maxSize;
    readonly List<string> _recipients = [];
    Stream _stream;
    SmtpLineReader _reader;
    bool _secure;
    bool _greeted;
    bool _extended;
    string? _user;
    string? _from;
    MemoryStream? _chunks;

    public ScriptedSmtpSession(ScriptedSmtpServer server, TcpClient client, int number, CancellationToken ct)
    {
        _server = server;
        _options = server.Options;
        _client = client;
        _number = number;
        _ct = ct;
        _mechanisms = _options.AuthMechanisms ?? DefaultMechanisms(_options);
        _rejectRecipients = new HashSet<string>(_options.RejectRecipients, StringComparer.OrdinalIgnoreCase);
        _acceptedDomains = _options.AcceptedDomains is null ? null : new HashSet<string>(_options.AcceptedDomains, StringComparer.OrdinalIgnoreCase);
        _maxSize = MaxSize(_options.Extensions);
        _stream = client.GetStream();
        _reader = new SmtpLineReader(_stream);
    }

    bool AuthOffered => _secure || _options.AdvertiseAuthBeforeTls;

    static List<string> DefaultMechanisms(ScriptedSmtpServerOptions options)
    {
        var mechanisms = new List<string>();
        if (options.Users is not null)
        {
            mechanisms.AddRange(["PLAIN", "LOGIN"]);
        }

        if (options.OAuthTokens is not null)
        {
            mechanisms.Add("XOAUTH2");
        }

        return mechanisms;
    }

    /// <summary>The limit of an advertised "SIZE n" (n > 0), or null.</summary>
    static long? MaxSize(IEnumerable<string> extensions)
    {
        foreach (var line in extensions)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 2 && words[0].Equals("SIZE", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0)
            {
                return size;
            }
        }

        return null;
    }

    public async Task RunAsync()
    {
        try
        {
            try
            {
                await ServeAsync().ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                // A message line over the limit (or a SASL response): the transaction cannot continue.
                await ReplyAsync(LineTooLong).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, refused our certificate, or the server is stopping.
        }
        finally
        {
            _chunks?.Dispose();
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    async Task ServeAsync()
    {
        if (_options.Tarpit)
        {
            var sink = new byte[1024];
            while (await _stream.ReadAsync(sink, _ct).ConfigureAwait(false) > 0)
            {
                // Swallow whatever the client sends; never answer.
            }

            return;
        }

        if (_options.Garbage)
        {
            await _stream.WriteAsync(GarbageResponse, _ct).ConfigureAwait(false);
            _client.Client.Shutdown(SocketShutdown.Send);
            return;
        }

        if (_options.ImplicitTlsCertificate is { } certificate)
        {
            await UpgradeAsync(certificate).ConfigureAwait(false);
        }

        if (_options.BannerDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.BannerDelay, _ct).ConfigureAwait(false);
        }

        await ReplyAsync(FormattableString.Invariant($"{_options.BannerCode} {_options.BannerText}")).ConfigureAwait(false);
        switch (_options.BannerCode / 100)
        {
            case 2:
                await CommandLoopAsync().ConfigureAwait(false);
                break;
            case 5:
                await RefuseServiceAsync().ConfigureAwait(false);
                break;
            default:
                break; // 4xx (421): close right after the banner
        }
    }

    async Task CommandLoopAsync()
    {
        while (await ReadCommandAsync().ConfigureAwait(false) is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var argument = space < 0 ? string.Empty : line[(space + 1)..].Trim();
            var handler = verb switch
            {
                "EHLO" => HelloAsync(argument, extended: true),
                "HELO" => HelloAsync(argument, extended: false),
                "STARTTLS" => StartTlsAsync(argument),
                "AUTH" => AuthAsync(argument),
                "MAIL" => MailAsync(argument),
                "RCPT" => RecipientAsync(argument),
                "DATA" => DataAsync(),
                "BDAT" when HasExtension("CHUNKING") => ChunkAsync(argument),
                "RSET" => ResetAsync(),
                "NOOP" => ReplyAsync("250 2.0.0 OK"),
                "VRFY" => ReplyAsync("252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery"),
                "QUIT" => QuitAsync(),
                _ => ReplyAsync(Unrecognized),
            };
            if (!await handler.ConfigureAwait(false))
            {
                return;
            }
        }
    }

    async Task RefuseServiceAsync()
    {
        while (await ReadCommandAsync().ConfigureAwait(false) is { } line)
        {
            if (line.Trim().Equals("QUIT", StringComparison.OrdinalIgnoreCase))
            {
                await QuitAsync().ConfigureAwait(false);
                return;
            }

            await ReplyAsync("503 5.5.1 Bad sequence of commands: no SMTP service here").ConfigureAwait(false);
        }
    }

    /// <summary>The next command line (a too long one is answered with 500 and skipped); null at end of stream.</summary>
    async Task<string?> ReadCommandAsync()
    {
        while (true)
        {
            byte[]? line;
            try
            {
                line = await _reader.ReadLineAsync(MaxCommandLength, _ct).ConfigureAwait(false);
            }
            catch (InvalidDataException)
            {
                await ReplyAsync(LineTooLong).ConfigureAwait(false);
                continue;
            }

            if (line is null)
            {
                return null;
            }

            var text = Encoding.UTF8.GetString(line);
            _server.RecordCommand(text);
            return text;
        }
    }

    Task<bool> HelloAsync(string argument, bool extended)
    {
        if (argument.Length == 0)
        {
            return ReplyAsync("501 5.5.4 Syntax: " + (extended ? "EHLO" : "HELO") + " hostname");
        }

        ResetTransaction();
        _greeted = true;
        _extended = extended;
        if (!extended)
        {
            return ReplyAsync("250 localhost");
        }

        var lines = new List<string> { "localhost greets " + argument };
        lines.AddRange(_options.Extensions);
        if (_options.StartTlsCertificate is not null && !_secure)
        {
            lines.Add("STARTTLS");
        }

        if (AuthOffered && _mechanisms.Count > 0)
        {
            lines.Add("AUTH " + string.Join(' ', _mechanisms));
        }

        return ReplyAsync(string.Join("\r\n", lines.Select((text, i) => (i == lines.Count - 1 ? "250 " : "250-") + text)));
    }

    async Task<bool> StartTlsAsync(string argument)
    {
        if (_options.StartTlsCertificate is not { } certificate)
        {
            return await ReplyAsync("502 5.5.1 STARTTLS not supported").ConfigureAwait(false);
        }

        if (_secure)
        {
            return await ReplyAsync("503 5.5.1 TLS already active").ConfigureAwait(false);
        }

        if (argument.Length > 0)
        {
            return await ReplyAsync("501 5.5.4 Syntax: STARTTLS").ConfigureAwait(false);
        }

        await ReplyAsync("220 2.0.0 Ready to start TLS").ConfigureAwait(false);
        await UpgradeAsync(certificate).ConfigureAwait(false);

        // RFC 3207 4.2: forget everything learnt before TLS; the client must EHLO again.
        _greeted = false;
        _extended = false;
        _user = null;
        ResetTransaction();
        return true;
    }

    async Task UpgradeAsync(X509Certificate2 certificate)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, _ct).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _stream = tls;
        _reader = new SmtpLineReader(tls); // drops any plaintext pipelined after STARTTLS
        _secure = true;
    }

    Task<bool> MailAsync(string argument)
    {
        if (!_greeted)
        {
            return ReplyAsync("503 5.5.1 Send HELO/EHLO first");
        }

        if (_options.RequireAuthentication && _user is null)
        {
            return ReplyAsync("530 5.7.0 Authentication required");
        }

        if (_from is not null)
        {
            return ReplyAsync("503 5.5.1 Nested MAIL command");
        }

        if (!TryParsePath(argument, "FROM:", out var address, out var parameters))
        {
            return ReplyAsync("501 5.5.4 Syntax: MAIL FROM:<address>");
        }

        var declaredSize = parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(parameter => parameter.StartsWith("SIZE=", StringComparison.OrdinalIgnoreCase))
            .Select(parameter => long.TryParse(parameter[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0)
            .FirstOrDefault();
        if (declaredSize > _maxSize)
        {
            return ReplyAsync("552 5.3.4 Message size exceeds fixed maximum message size");
        }

        _from = address;
        return ReplyAsync("250 2.1.0 Sender OK");
    }

    Task<bool> RecipientAsync(string argument)
    {
        if (_from is null)
        {
            return ReplyAsync("503 5.5.1 Need MAIL before RCPT");
        }

        if (!TryParsePath(argument, "TO:", out var address, out _) || address.Length == 0)
        {
            return ReplyAsync("501 5.5.4 Syntax: RCPT TO:<address>");
        }

        if (_rejectRecipients.Contains(address))
        {
            return ReplyAsync("550 5.1.1 Mailbox unavailable");
        }

        var domain = address[(address.LastIndexOf('@') + 1)..];
        if (_acceptedDomains is not null && _user is null && !_acceptedDomains.Contains(domain))
        {
            return ReplyAsync("550 5.7.1 Relaying denied");
        }

        _recipients.Add(address);
        return ReplyAsync("250 2.1.5 Recipient OK");
    }

    /// <summary>Parses "FROM:&lt;address&gt; parameters" (a space after the colon is tolerated).</summary>
    static bool TryParsePath(string argument, string keyword, out string address, out string parameters)
    {
        address = parameters = string.Empty;
        if (!argument.StartsWith(keyword, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var path = argument[keyword.Length..].TrimStart();
        var close = path.IndexOf('>', StringComparison.Ordinal);
        if (!path.StartsWith('<') || close < 0)
        {
            return false;
        }

        address = path[1..close];
        parameters = path[(close + 1)..].Trim();
        return true;
    }

    async Task<bool> DataAsync()
    {
        if (_from is null || _chunks is not null)
        {
            return await ReplyAsync(_from is null ? "503 5.5.1 Need MAIL command" : "503 5.5.1 DATA during a BDAT transfer").ConfigureAwait(false);
        }

        if (_recipients.Count == 0)
        {
            return await ReplyAsync("554 5.5.1 No valid recipients").ConfigureAwait(false);
        }

        await ReplyAsync("354 End data with <CR><LF>.<CR><LF>").ConfigureAwait(false);
        if (_server.NextDataStartIsDropped())
        {
            // Read the first line of the message, then reset the connection (RST, no reply).
            await _reader.ReadLineAsync(MaxDataLineLength, _ct).ConfigureAwait(false);
            _client.Client.Close(0);
            return false;
        }

        using var message = new MemoryStream();
        while (await _reader.ReadLineAsync(MaxDataLineLength, _ct).ConfigureAwait(false) is { } line)
        {
            if (line is [(byte)'.'])
            {
                return await FinishMessageAsync(message.ToArray()).ConfigureAwait(false);
            }

            var start = line is [(byte)'.', ..] ? 1 : 0;
            message.Write(line, start, line.Length - start);
            message.Write("\r\n"u8);
        }

        return false;
    }

    async Task<bool> ChunkAsync(string argument)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 2 || !int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size > MaxChunkSize
            || (words.Length == 2 && !words[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            // The chunk cannot be skipped without its size: give up on the connection.
            await ReplyAsync("501 5.5.4 Syntax: BDAT size [LAST]").ConfigureAwait(false);
            return false;
        }

        var chunk = await _reader.ReadExactlyAsync(size, _ct).ConfigureAwait(false);
        if (chunk is null)
        {
            return false;
        }

        if (_from is null || _recipients.Count == 0)
        {
            ResetTransaction();
            return await ReplyAsync("503 5.5.1 Need MAIL and RCPT before BDAT").ConfigureAwait(false);
        }

        if (_chunks is null)
        {
            if (_server.NextDataStartIsDropped())
            {
                _client.Client.Close(0);
                return false;
            }

            _chunks = new MemoryStream();
        }

        _chunks.Write(chunk);
        return words.Length == 2
            ? await FinishMessageAsync(_chunks.ToArray()).ConfigureAwait(false)
            : await ReplyAsync(FormattableString.Invariant($"250 2.0.0 {size} octets received")).ConfigureAwait(false);
    }

    Task<bool> FinishMessageAsync(byte[] data)
    {
        var message = new ScriptedMessage(_from ?? string.Empty, [.. _recipients], data, _secure, _user, _number);
        ResetTransaction();
        if (data.Length > _maxSize)
        {
            return ReplyAsync("552 5.3.4 Message size exceeds fixed maximum message size");
        }

        if (_server.NextDataEndFails())
        {
            return ReplyAsync("451 4.3.0 Temporary failure injected by the test server");
        }

        _server.AddMessage(message);
        return ReplyAsync("250 2.0.0 OK queued");
    }

    Task<bool> ResetAsync()
    {
        ResetTransaction();
        return ReplyAsync("250 2.0.0 OK");
    }

    async Task<bool> QuitAsync()
    {
        await ReplyAsync("221 2.0.0 Bye").ConfigureAwait(false);
        return false;
    }

    bool HasExtension(string keyword) =>
        _extended && _options.Extensions.Any(line => line.Split(' ')[0].Equals(keyword, StringComparison.OrdinalIgnoreCase));

    void ResetTransaction()
    {
        _from = null;
        _recipients.Clear();
        _chunks?.Dispose();
        _chunks = null;
    }

    /// <summary>Sends a reply (lines separated by CRLF); always true, so handlers can return it.</summary>
    async Task<bool> ReplyAsync(string reply)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"), _ct).ConfigureAwait(false);
        await _stream.FlushAsync(_ct).ConfigureAwait(false);
        return true;
    }
}
