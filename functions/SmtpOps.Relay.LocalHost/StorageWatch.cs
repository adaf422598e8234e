using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmtpOps.Relay.Hosting;

namespace SmtpOps.Relay.LocalHost;

/// <summary>
/// Watches the Storage account while the host runs. The WebJobs queue listener rides out a Storage
/// outage silently (it keeps polling, and nothing crashes); this says so in the log, once when the
/// account stops answering and once when it is back, so that an operator sees why no mail moves.
/// </summary>
public sealed class StorageWatch : BackgroundService
{
    private readonly IServiceProvider services;
    private readonly TimeSpan interval;
    private readonly ILogger<StorageWatch> logger;

    /// <summary>Initializes a new instance of the <see cref="StorageWatch"/> class.</summary>
    /// <param name="services">The host's services (the relay's settings and Storage connection).</param>
    /// <param name="interval">The time between two checks (<c>Queues:StorageCheckInterval</c>).</param>
    /// <param name="logger">The logger.</param>
    public StorageWatch(IServiceProvider services, TimeSpan interval, ILogger<StorageWatch> logger)
    {
        this.services = services ?? throw new ArgumentNullException(nameof(services));
        this.interval = interval > TimeSpan.Zero ? interval : throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be positive.");
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Stopwatch? outage = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
                var problem = await RelayStartupCheck.DescribeStorageProblemAsync(services, stoppingToken).ConfigureAwait(false);
                if (problem is not null && outage is null)
                {
                    outage = Stopwatch.StartNew();
                    logger.LogError("{Problem} The relay keeps running: the queue listener keeps polling and the mail waits in the queue until Storage answers again.", problem);
                }
                else if (problem is null && outage is not null)
                {
                    logger.LogInformation("Storage answers again after {OutageSeconds:0} s; the relay goes on with the queue.", outage.Elapsed.TotalSeconds);
                    outage = null;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
