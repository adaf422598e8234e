using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using SmtpOps.Dkim;

namespace SmtpOps.Relay.Hosting;

/// <summary>
/// The relay's settings, bound from the <c>Relay</c> configuration section (app settings
/// <c>Relay__Smarthost__Host</c> and so on). Durations are in seconds.
/// </summary>
public sealed class RelaySettings
{
    /// <summary>The configuration section the settings are bound from.</summary>
    public const string SectionName = "Relay";

    /// <summary>Gets or sets the relay queue; <c>&lt;queue&gt;-failed</c>, <c>&lt;queue&gt;-attachments</c> and the ledger table derive from it.</summary>
    public string QueueName { get; set; } = "smtpops-relay";

    /// <summary>Gets or sets how the relay sends: Smtp (the smarthost, by default) or Graph (Microsoft Graph as <see cref="Graph"/>'s mailbox).</summary>
    public RelayTransportKind Transport { get; set; } = RelayTransportKind.Smtp;

    /// <summary>Gets or sets the Microsoft Graph mailbox and endpoint for <see cref="Transport"/> Graph.</summary>
    public GraphSettings Graph { get; set; } = new();

    /// <summary>Gets or sets the Azure Communication Services endpoint for <see cref="Transport"/> Acs.</summary>
    public AcsSettings Acs { get; set; } = new();

    /// <summary>Gets or sets the smarthost and its password authentication.</summary>
    public SmarthostSettings Smarthost { get; set; } = new();

    /// <summary>Gets or sets the OAuth2 (XOAUTH2) authentication, e.g. for Exchange Online.</summary>
    public OAuthSettings OAuth { get; set; } = new();

    /// <summary>Gets or sets what the relay agrees to send.</summary>
    public PolicySettings Policy { get; set; } = new();

    /// <summary>
    /// Gets or sets the messages per minute (0: none): the older name of <c>Relay:Budget:MessagesPerMinute</c>, which wins
    /// when both are set. Unset: the route's default (<see cref="Budget"/>).
    /// </summary>
    public int? MessagesPerMinute { get; set; }

    /// <summary>Gets or sets the sending budget: the route's documented limits unless set, shared by all instances.</summary>
    public BudgetSettings Budget { get; set; } = new();

    /// <summary>
    /// Gets or sets the DKIM keys per sending domain (<c>Relay:Dkim:&lt;domain&gt;:Selector</c>, <c>:KeyPem</c> or <c>:KeyPath</c>):
    /// mail from such a domain or a subdomain of it is signed before it is submitted; mail from other domains goes unsigned.
    /// </summary>
    public Dictionary<string, DkimDomainSettings> Dkim { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the optional S/MIME signing (and encryption) of every message.</summary>
    public SmimeSettings Smime { get; set; } = new();

    /// <summary>Gets or sets after how many deliveries a transient failure is dead-lettered; keep it equal to host.json's maxDequeueCount.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the wait in seconds before the first redelivery after a transient failure; it doubles with each delivery.</summary>
    public double RetryDelay { get; set; } = 30;

    /// <summary>Gets or sets the longest wait in seconds between deliveries.</summary>
    public double MaxRetryDelay { get; set; } = 900;

    /// <summary>Gets or sets how long in seconds a claimed idempotency key protects a send in progress; longer than one send.</summary>
    public double ClaimLease { get; set; } = 600;

    /// <summary>Gets the names of the settings that are missing or invalid; the messages never contain a secret's value.</summary>
    /// <returns>The problems, empty when the settings are usable.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(QueueName))
        {
            problems.Add("Relay:QueueName is empty.");
        }

        if (Transport == RelayTransportKind.Graph)
        {
            ValidateGraph(problems);
        }
        else if (Transport == RelayTransportKind.Acs)
        {
            ValidateAcs(problems);
        }
        else if (string.IsNullOrWhiteSpace(Smarthost.Host))
        {
            problems.Add("Relay:Smarthost:Host is not set: the relay needs the smarthost to submit to (e.g. smtp.office365.com).");
        }

        Smime.Validate(problems);
        if (Smime.IsConfigured && Transport == RelayTransportKind.Acs)
        {
            problems.Add("Relay:Smime is set with Relay:Transport Acs: Azure Communication Services builds the MIME message itself from its JSON request, so an S/MIME body cannot pass through it; remove Relay:Smime or send through the smarthost.");
        }


        if (Smarthost.Port is < 0 or > 65535)
        {
            problems.Add($"Relay:Smarthost:Port {Smarthost.Port} is not a port number.");
        }

        if (Smarthost.Timeout <= 0)
        {
            problems.Add("Relay:Smarthost:Timeout must be a positive number of seconds.");
        }

        if (Smarthost.Retries < 0)
        {
            problems.Add("Relay:Smarthost:Retries must not be negative.");
        }

        if (Smarthost.MaxConnections < 1)
        {
            problems.Add("Relay:Smarthost:MaxConnections must be at least 1.");
        }

        try
        {
            Smarthost.LoadTrustedRoots();
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"Relay:Smarthost:TrustedRootCertificates holds an entry that is neither a PEM certificate nor a readable certificate file: {ex.Message}");
        }

        var hasUser = !string.IsNullOrEmpty(Smarthost.UserName);
        var hasPassword = !string.IsNullOrEmpty(Smarthost.Password);
        if (hasUser != hasPassword)
        {
            problems.Add(hasUser
                ? "Relay:Smarthost:UserName is set but Relay:Smarthost:Password is not (set both for AUTH PLAIN/LOGIN, or neither)."
                : "Relay:Smarthost:Password is set but Relay:Smarthost:UserName is not (set both for AUTH PLAIN/LOGIN, or neither).");
        }

        if (OAuth.Mode != OAuthMode.None)
        {
            if (hasUser || hasPassword)
            {
                problems.Add($"Relay:OAuth:Mode is {OAuth.Mode} and a smarthost user name or password is set too: choose one way to authenticate.");
            }

            if (string.IsNullOrWhiteSpace(OAuth.Mailbox) && Transport == RelayTransportKind.Smtp)
            {
                problems.Add($"Relay:OAuth:Mailbox is required with Relay:OAuth:Mode {OAuth.Mode}: the mailbox that sends (the XOAUTH2 user).");
            }

            if (string.IsNullOrWhiteSpace(OAuth.Scope))
            {
                problems.Add("Relay:OAuth:Scope is empty.");
            }
        }

        if (OAuth.Mode is OAuthMode.ClientSecret or OAuthMode.ClientCertificate)
        {
            if (string.IsNullOrWhiteSpace(OAuth.TenantId))
            {
                problems.Add($"Relay:OAuth:TenantId is required with Relay:OAuth:Mode {OAuth.Mode}.");
            }

            if (string.IsNullOrWhiteSpace(OAuth.ClientId))
            {
                problems.Add($"Relay:OAuth:ClientId is required with Relay:OAuth:Mode {OAuth.Mode}.");
            }
        }

        if (OAuth.Mode == OAuthMode.ClientSecret && string.IsNullOrEmpty(OAuth.ClientSecret))
        {
            problems.Add("Relay:OAuth:ClientSecret is required with Relay:OAuth:Mode ClientSecret (use a Key Vault reference).");
        }

        if (OAuth.Mode == OAuthMode.ClientCertificate && string.IsNullOrWhiteSpace(OAuth.CertificatePath))
        {
            problems.Add("Relay:OAuth:CertificatePath is required with Relay:OAuth:Mode ClientCertificate.");
        }

        if (Policy.AllowedSenders.Length == 0)
        {
            problems.Add("Relay:Policy:AllowedSenders is empty: the relay would refuse every message. List the senders or domains it may send for.");
        }

        if (Policy.MaxRecipients <= 0)
        {
            problems.Add("Relay:Policy:MaxRecipients must be positive.");
        }

        if (Policy.MaxMessageBytes <= 0)
        {
            problems.Add("Relay:Policy:MaxMessageBytes must be positive.");
        }

        if (MessagesPerMinute < 0)
        {
            problems.Add("Relay:MessagesPerMinute must not be negative (0 means no limit).");
        }

        Budget.Validate(problems);

        if (MaxAttempts < 1)
        {
            problems.Add("Relay:MaxAttempts must be at least 1.");
        }

        if (RetryDelay < 0 || MaxRetryDelay < RetryDelay)
        {
            problems.Add("Relay:RetryDelay must not be negative nor above Relay:MaxRetryDelay.");
        }

        if (ClaimLease <= 0)
        {
            problems.Add("Relay:ClaimLease must be a positive number of seconds.");
        }

        ValidateDkim(problems);

        return problems;
    }

    private void ValidateAcs(List<string> problems)
    {
        if (!Uri.TryCreate(Acs.Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && !endpoint.IsLoopback))
        {
            problems.Add("Relay:Acs:Endpoint must be the https endpoint of the Communication Services resource, such as https://contoso.communication.azure.com/.");
        }

        if (Acs.ApiVersion is not ("2025-09-01" or "2023-03-31"))
        {
            problems.Add($"Relay:Acs:ApiVersion must be 2025-09-01 or 2023-03-31, not '{Acs.ApiVersion}'.");
        }

        if (!string.IsNullOrEmpty(Acs.AccessKey) && OAuth.Mode != OAuthMode.None)
        {
            problems.Add($"Relay:Acs:AccessKey is set and Relay:OAuth:Mode is {OAuth.Mode}: choose one way to authenticate to ACS (the managed identity needs no key).");
        }

        if (Acs.MaxRetryAfter < 0 || Acs.MaxPollTime < 0)
        {
            problems.Add("Relay:Acs:MaxRetryAfter and Relay:Acs:MaxPollTime must not be negative.");
        }
    }

    /// <summary>Reads the DKIM keys of <see cref="Dkim"/> into signers.</summary>
    /// <returns>The signers; empty without DKIM settings.</returns>
    /// <exception cref="DkimException">A key cannot be read or used (the message never quotes it).</exception>
    public DkimSignerSet LoadDkimSigners() => Dkim.Count == 0
        ? DkimSignerSet.None
        : new DkimSignerSet(Dkim.Select(entry => new DkimMessageSigner(
            entry.Key,
            entry.Value.Selector,
            string.IsNullOrEmpty(entry.Value.KeyPem) ? DkimKey.FromPemFile(entry.Value.KeyPath ?? string.Empty) : DkimKey.FromPem(entry.Value.KeyPem!))));

    // Each domain: a selector and one key that reads; the messages name the setting, never the key.
    private void ValidateDkim(List<string> problems)
    {
        if (Dkim.Count > 0 && Transport is RelayTransportKind.Graph or RelayTransportKind.Acs)
        {
            problems.Add($"Relay:Dkim is set with Relay:Transport {Transport}: that service builds and signs the message it sends with its own keys; remove Relay:Dkim or send through the smarthost.");
        }

        foreach (var entry in Dkim)
        {
            var name = $"Relay:Dkim:{entry.Key}";
            var settings = entry.Value ?? new DkimDomainSettings();
            if (string.IsNullOrWhiteSpace(settings.Selector))
            {
                problems.Add($"{name}:Selector is not set: the selector the key is published under (<selector>._domainkey.{entry.Key}).");
                continue;
            }

            if (string.IsNullOrEmpty(settings.KeyPem) == string.IsNullOrEmpty(settings.KeyPath))
            {
                problems.Add($"{name} needs exactly one of :KeyPem (the PEM text, a Key Vault reference in Azure) and :KeyPath (a PEM file).");
                continue;
            }

            try
            {
                var key = string.IsNullOrEmpty(settings.KeyPem) ? DkimKey.FromPemFile(settings.KeyPath!) : DkimKey.FromPem(settings.KeyPem!);
                _ = new DkimMessageSigner(entry.Key, settings.Selector, key);
            }
            catch (DkimException ex)
            {
                problems.Add($"{name}: {ex.Message}");
            }
        }
    }

    private void ValidateGraph(List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(Graph.Mailbox))
        {
            problems.Add("Relay:Graph:Mailbox is required with Relay:Transport Graph: the mailbox to send as (user principal name or object id).");
        }

        if (!Uri.TryCreate(Graph.Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && !endpoint.IsLoopback))
        {
            problems.Add("Relay:Graph:Endpoint must be an https URL such as https://graph.microsoft.com/.");
        }

        if (OAuth.Mode == OAuthMode.None)
        {
            problems.Add("Relay:Transport Graph needs an identity: set Relay:OAuth:Mode to ManagedIdentity, ClientSecret or ClientCertificate (with Mail.Send for the mailbox).");
        }

        if (Graph.MaxRetryAfter < 0)
        {
            problems.Add("Relay:Graph:MaxRetryAfter must not be negative.");
        }
    }
}
