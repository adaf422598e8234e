using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SmtpOps.TestServers;

namespace SmtpOps.Relay.Tests;

/// <summary>An OTLP/HTTP endpoint on 127.0.0.1 that keeps every request (path, content type, protobuf body) and answers 200.</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task serving;

    public OtlpReceiver()
    {
        Port = LoopbackPort.Free();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Gets the requests received: "POST /v1/traces application/x-protobuf" and the body.</summary>
    public ConcurrentQueue<(string Request, byte[] Body)> Requests { get; } = new();

    /// <summary>Whether a request to the path has a body containing the bytes.</summary>
    public bool Received(string path, ReadOnlySpan<byte> content)
    {
        foreach (var (request, body) in Requests)
        {
            if (request.StartsWith($"POST {path} ", StringComparison.Ordinal) && body.AsSpan().IndexOf(content) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    public bool Received(string path, string text) => Received(path, Encoding.UTF8.GetBytes(text));

    /// <summary>Waits until <paramref name="condition"/> holds, or the time is up.</summary>
    public async Task<bool> WaitUntilAsync(Func<OtlpReceiver, bool> condition, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        while (!condition(this))
        {
            if (timeout.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        // Stop and Close, then a bounded wait: on Linux a pending GetContextAsync does not always end on Stop alone.
        listener.Stop();
        listener.Close();
        await Task.WhenAny(serving, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            Requests.Enqueue(($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath} {context.Request.ContentType}", body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public override string ToString() => string.Join(Environment.NewLine, Requests.Select(r => $"{r.Request} ({r.Body.Length} bytes)"));
}
