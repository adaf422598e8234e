using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace SmtpOps.TestServers;

/// <summary>
/// A DNS server on 127.0.0.1 (ARSoft.Tools.Net), UDP and TCP on the same free port, answering
/// from a <see cref="TestDnsZone"/> like a recursive resolver would: CNAME chains are followed
/// in the answer, unknown names are NXDOMAIN, known names without the asked type are NODATA.
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    readonly TestDnsZone _zone;
    readonly CancellationTokenSource _stop = new();
    DnsServer? _server;
    ZoneIndex? _index;
    int _queryCount;

    TestDnsServer(TestDnsZone zone) => _zone = zone;

    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>Queries received so far (UDP and TCP).</summary>
    public int QueryCount => Volatile.Read(ref _queryCount);

    public static Task<TestDnsServer> StartAsync(TestDnsZone zone, int port = 0)
    {
        var server = new TestDnsServer(zone);
        server.Start(port);
        return Task.FromResult(server);
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            _server?.Stop();
        }
        catch (AggregateException)
        {
            // The listeners end with the cancellation.
        }

        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    void Start(int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            var candidate = port != 0 ? port : FindFreePort();
            var server = new DnsServer(
                new UdpServerTransport(new IPEndPoint(IPAddress.Loopback, candidate), 5000),
                new TcpServerTransport(new IPEndPoint(IPAddress.Loopback, candidate), 5000, 10000));
            server.QueryReceived += OnQueryReceivedAsync;
            try
            {
                server.Start();
                _server = server;
                Port = candidate;
                return;
            }
            catch (SocketException) when (port == 0 && attempt < 20)
            {
                // Someone took the port between the probe and the bind: try another one.
                try
                {
                    server.Stop();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or AggregateException)
                {
                    // Partly bound; nothing to release.
                }
            }
        }
    }

    static int FindFreePort()
    {
        // A port free for both TCP and UDP on the loopback address.
        while (true)
        {
            var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            var port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP: probe again.
            }
            finally
            {
                tcp.Stop();
            }
        }
    }

    async Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref _queryCount);
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return; // answered with a failure response by the library
        }

        var question = query.Questions[0];
        var name = TestDnsZone.Normalize(question.Name.ToString());
        if (TestDnsZone.Contains(_zone.Silent, name))
        {
            // Never answer: the client has to time out.
            try
            {
                await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Server stopping.
            }

            return;
        }

        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = true;
        response.IsAuthenticData = TestDnsZone.Contains(_zone.Authenticated, name);
        if (TestDnsZone.Contains(_zone.ServerFailure, name))
        {
            response.ReturnCode = ReturnCode.ServerFailure;
        }
        else if (TestDnsZone.Contains(_zone.Refused, name))
        {
            response.ReturnCode = ReturnCode.Refused;
        }
        else
        {
            response.ReturnCode = Answer(name, question.RecordType, response.AnswerRecords);
        }

        e.Response = response;
    }

    ReturnCode Answer(string name, RecordType type, List<DnsRecordBase> answers)
    {
        var index = CurrentIndex();
        var current = name;
        for (var hop = 0; hop < 10; hop++)
        {
            var owned = index.ByName.TryGetValue(current, out var records) ? records : [];
            var matching = owned.Where(r => string.Equals(r.Type, type.ToString(), StringComparison.OrdinalIgnoreCase)).ToList();
            if (matching.Count > 0)
            {
                answers.AddRange(matching.Select(ToRecord));
                return ReturnCode.NoError;
            }

            var alias = owned.FirstOrDefault(r => string.Equals(r.Type, "CNAME", StringComparison.OrdinalIgnoreCase));
            if (alias is null)
            {
                return index.ExistingNames.Contains(current) ? ReturnCode.NoError : ReturnCode.NxDomain;
            }

            answers.Add(ToRecord(alias));
            current = TestDnsZone.Normalize(alias.Value);
        }

        return ReturnCode.ServerFailure; // CNAME loop
    }

    ZoneIndex CurrentIndex()
    {
        // Records by name, built once instead of a scan of the whole zone per query (the MX benchmark serves
        // 4,000 records: the scans cost more CPU than the clients it measures). Rebuilt if records are added.
        var index = Volatile.Read(ref _index);
        if (index is null || index.RecordCount != _zone.Records.Count)
        {
            index = new ZoneIndex(_zone.Records.ToList());
            Volatile.Write(ref _index, index);
        }

        return index;
    }

    static DnsRecordBase ToRecord(TestDnsRecord record)
    {
        var name = DomainName.Parse(TestDnsZone.Normalize(record.Name));
        var parts = record.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return record.Type.ToUpperInvariant() switch
        {
            "A" => new ARecord(name, record.Ttl, IPAddress.Parse(record.Value)),
            "AAAA" => new AaaaRecord(name, record.Ttl, IPAddress.Parse(record.Value)),
            "CNAME" => new CNameRecord(name, record.Ttl, ParseName(record.Value)),
            "MX" => new MxRecord(name, record.Ttl, ushort.Parse(parts[0], CultureInfo.InvariantCulture), ParseName(parts[1])),
            // A character-string holds at most 255 bytes: a longer text (a DKIM key) is several strings of one record.
            "TXT" => new TxtRecord(name, record.Ttl, record.Value.Chunk(255).Select(c => new string(c)).DefaultIfEmpty(string.Empty)),
            "TLSA" => new TlsaRecord(
                name,
                record.Ttl,
                (TlsaRecord.TlsaCertificateUsage)byte.Parse(parts[0], CultureInfo.InvariantCulture),
                (TlsaRecord.TlsaSelector)byte.Parse(parts[1], CultureInfo.InvariantCulture),
                (TlsaRecord.TlsaMatchingType)byte.Parse(parts[2], CultureInfo.InvariantCulture),
                Convert.FromHexString(string.Concat(parts.Skip(3)))),
            _ => throw new NotSupportedException($"The test DNS server does not serve {record.Type} records."),
        };
    }

    static DomainName ParseName(string name) => name.Trim() == "." ? DomainName.Root : DomainName.Parse(TestDnsZone.Normalize(name));

    sealed class ZoneIndex
    {
        public ZoneIndex(List<TestDnsRecord> records)
        {
            RecordCount = records.Count;
            foreach (var record in records)
            {
                var name = TestDnsZone.Normalize(record.Name);
                if (!ByName.TryGetValue(name, out var owned))
                {
                    ByName[name] = owned = [];
                }

                owned.Add(record);

                // A name exists if it owns a record or is an empty non-terminal (has records below it).
                for (var suffix = name; ; suffix = suffix[(suffix.IndexOf('.', StringComparison.Ordinal) + 1)..])
                {
                    ExistingNames.Add(suffix);
                    if (!suffix.Contains('.', StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }
        }

        public int RecordCount { get; }

        public Dictionary<string, List<TestDnsRecord>> ByName { get; } = new(StringComparer.Ordinal);

        public HashSet<string> ExistingNames { get; } = new(StringComparer.Ordinal);
    }
}
