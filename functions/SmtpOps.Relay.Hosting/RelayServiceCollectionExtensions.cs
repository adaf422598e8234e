using System;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SmtpOps.Acs;
using SmtpOps.Budgets;
using SmtpOps.Graph;
using SmtpOps.Relay.Processing;
using SmtpOps.Smtp;

namespace SmtpOps.Relay.Hosting;

/// <summary>Registers the relay in a host's services: the same registration for the Function and the local WebJobs host.</summary>
public static class RelayServiceCollectionExtensions
{
    /// <summary>The logger category of the relay's structured logs and (at Debug) its SMTP transcript.</summary>
    public const string LogCategory = "SmtpOps.Relay";

    /// <summary>
    /// Adds <see cref="RelaySettings"/> (bound from the <c>Relay</c> section and validated when the host
    /// starts), the <see cref="TokenCredential"/> for XOAUTH2 (unless one is registered already), the
    /// <see cref="RelayProcessor"/> and the <see cref="RelayQueueHandler"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The host's configuration; the Storage connection is <c>RelayStorage</c>, else <c>AzureWebJobsStorage</c>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSmtpRelay(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(_ => RelayStorageConnection.From(configuration));
        services.AddOptions<RelaySettings>().Bind(configuration.GetSection(RelaySettings.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelaySettings>, RelaySettingsValidator>());

        // TryAdd: a test (or a host with its own credential chain) registers its TokenCredential first.
        services.TryAddSingleton(sp => CreateCredential(sp.GetRequiredService<IOptions<RelaySettings>>().Value));
        services.TryAddSingleton(sp =>
        {
            var oauth = sp.GetRequiredService<IOptions<RelaySettings>>().Value.OAuth;
            return new OAuthCredentialSource(sp.GetRequiredService<TokenCredential>(), oauth.Mailbox!, oauth.Scope);
        });
        services.TryAddSingleton(CreateProcessor);
        services.TryAddSingleton(sp => new RelayQueueHandler(
            sp.GetRequiredService<RelayProcessor>(),
            sp.GetRequiredService<RelayStorageConnection>().Queue(sp.GetRequiredService<IOptions<RelaySettings>>().Value.QueueName, RelayStorage.QueueOptions()),
            sp.GetService<ILoggerFactory>()?.CreateLogger<RelayQueueHandler>() ?? NullLogger<RelayQueueHandler>.Instance));
        return services;
    }

    private static RelayProcessor CreateProcessor(IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<RelaySettings>>().Value;
        var smarthost = settings.Smarthost;
        var connection = new SmtpConnectionOptions
        {
            Host = smarthost.Host,
            Port = smarthost.Port,
            Tls = new SmtpTlsPolicy
            {
                Security = smarthost.Security,
                CertificateThumbprints = smarthost.CertificateThumbprints,
                TrustedRoots = smarthost.LoadTrustedRoots(),
                RevocationMode = smarthost.RevocationMode,
            },
            Timeout = TimeSpan.FromSeconds(smarthost.Timeout),
            HeloName = string.IsNullOrWhiteSpace(smarthost.HeloName) ? null : smarthost.HeloName,
            Retry = new RetryPolicy { MaxRetries = smarthost.Retries, InitialDelay = TimeSpan.FromSeconds(1) },
            Credential = settings.OAuth.Mode == OAuthMode.None && !string.IsNullOrEmpty(smarthost.UserName)
                ? SmtpCredential.FromPassword(smarthost.UserName, smarthost.Password ?? string.Empty)
                : null,
            // With Relay:Transport Graph the Relay:OAuth identity is Graph's, not an XOAUTH2 user's.
            CredentialProvider = settings.OAuth.Mode == OAuthMode.None || settings.Transport != RelayTransportKind.Smtp ? null : services.GetRequiredService<OAuthCredentialSource>().GetAsync,
        };
        var options = new RelayProcessorOptions
        {
            QueueName = settings.QueueName,
            Smarthost = connection,
            Graph = settings.Transport == RelayTransportKind.Graph ? GraphOptions(settings, services.GetRequiredService<TokenCredential>()) : null,
            Acs = settings.Transport == RelayTransportKind.Acs ? AcsOptions(settings, services) : null,
            Policy = new RelayPolicy
            {
                AllowedSenders = settings.Policy.AllowedSenders,
                MaxRecipients = settings.Policy.MaxRecipients,
                MaxMessageBytes = settings.Policy.MaxMessageBytes,
            },
            // By the transport's name, so that a new transport (Acs) gets its route's documented budget by itself.
            Budget = settings.Budget.ToBudget(settings.Transport.ToString(), smarthost.Host, settings.MessagesPerMinute),
            BudgetMaxHold = TimeSpan.FromSeconds(settings.Budget.MaxHold),
            MaxConnections = smarthost.MaxConnections,
            ReuseConnections = smarthost.ReuseConnections,
            MaxAttempts = settings.MaxAttempts,
            RetryDelay = TimeSpan.FromSeconds(settings.RetryDelay),
            MaxRetryDelay = TimeSpan.FromSeconds(settings.MaxRetryDelay),
            ClaimLease = TimeSpan.FromSeconds(settings.ClaimLease),
            Dkim = settings.LoadDkimSigners(),
            Smime = settings.Smime.ToOptions(),
        };
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger(LogCategory) ?? NullLogger.Instance;
        var storage = services.GetRequiredService<RelayStorageConnection>();
        return new RelayProcessor(
            options,
            storage.Container(RelayStorage.AttachmentContainerName(options.QueueName)),
            storage.Queue(RelayStorage.FailedQueueName(options.QueueName), RelayStorage.QueueOptions()),
            new IdempotencyLedger(storage.Table(RelayStorage.LedgerTableName(options.QueueName)), options.ClaimLease),
            logger,
            settings.Budget.Shared ? new TableBudgetStore(storage.Table(RelayStorage.LedgerTableName(options.QueueName))) : null);
    }

    // Relay:Transport Graph: the Relay:OAuth identity, asked for Graph's scope; the smarthost's timeout and retries.
    private static GraphTransportOptions GraphOptions(RelaySettings settings, TokenCredential credential) => new()
    {
        Mailbox = settings.Graph.Mailbox!,
        Endpoint = new Uri(settings.Graph.Endpoint),
        Scope = string.IsNullOrWhiteSpace(settings.Graph.Scope) ? null : settings.Graph.Scope,
        Credential = credential,
        Timeout = TimeSpan.FromSeconds(settings.Smarthost.Timeout),
        Retry = new RetryPolicy { MaxRetries = settings.Smarthost.Retries, InitialDelay = TimeSpan.FromSeconds(1) },
        MaxRetryAfter = TimeSpan.FromSeconds(settings.Graph.MaxRetryAfter),
    };

    // Relay:Transport Acs: the Function's managed identity (or Relay:OAuth's), or the access key; the smarthost's timeout and retries.
    private static AcsEmailOptions AcsOptions(RelaySettings settings, IServiceProvider services) => new()
    {
        Endpoint = new Uri(settings.Acs.Endpoint!),
        ApiVersion = settings.Acs.ApiVersion,
        AccessKey = string.IsNullOrEmpty(settings.Acs.AccessKey) ? null : settings.Acs.AccessKey,
        Credential = string.IsNullOrEmpty(settings.Acs.AccessKey) ? services.GetRequiredService<TokenCredential>() : null,
        Scope = string.IsNullOrWhiteSpace(settings.Acs.Scope) ? AcsEmailOptions.DefaultScope : settings.Acs.Scope,
        Timeout = TimeSpan.FromSeconds(settings.Smarthost.Timeout),
        Retry = new RetryPolicy { MaxRetries = settings.Smarthost.Retries, InitialDelay = TimeSpan.FromSeconds(1) },
        MaxRetryAfter = TimeSpan.FromSeconds(settings.Acs.MaxRetryAfter),
        MaxPollTime = TimeSpan.FromSeconds(settings.Acs.MaxPollTime),
    };

    // With Relay:Transport Acs and no Relay:OAuth mode, the Function's own (system-assigned) managed identity.
    private static TokenCredential CreateCredential(RelaySettings settings) => settings.Transport == RelayTransportKind.Acs && settings.OAuth.Mode == OAuthMode.None
        ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
        : CreateCredential(settings.OAuth);

    private static TokenCredential CreateCredential(OAuthSettings oauth) => oauth.Mode switch
    {
        OAuthMode.ManagedIdentity => string.IsNullOrWhiteSpace(oauth.ClientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(oauth.ClientId)),
        OAuthMode.ClientSecret => new ClientSecretCredential(oauth.TenantId, oauth.ClientId, oauth.ClientSecret),
        OAuthMode.ClientCertificate => new ClientCertificateCredential(oauth.TenantId, oauth.ClientId, LoadCertificate(oauth)),
        _ => throw new InvalidOperationException("Relay:OAuth:Mode is None: no OAuth2 credential is configured."),
    };

    private static X509Certificate2 LoadCertificate(OAuthSettings oauth)
    {
        var path = oauth.CertificatePath!;
        return path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase)
            ? X509Certificate2.CreateFromPemFile(path)
            : X509CertificateLoader.LoadPkcs12FromFile(path, oauth.CertificatePassword);
    }
}
