using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Options;

namespace SmtpOps.Relay.Hosting;

/// <summary>Refuses to start the host with unusable settings; the message names settings, never their values.</summary>
internal sealed class RelaySettingsValidator : IValidateOptions<RelaySettings>
{
    public const string FailurePrefix = "SmtpOps relay settings: ";

    private readonly RelayStorageConnection storage;

    public RelaySettingsValidator(RelayStorageConnection storage) => this.storage = storage;

    public ValidateOptionsResult Validate(string? name, RelaySettings options)
    {
        var problems = new List<string>(options.Validate());
        if (storage.Problem() is { } problem)
        {
            problems.Add(problem);
        }

        if (!storage.IsConfigured)
        {
            problems.Add("No Storage connection: set RelayStorage (or AzureWebJobsStorage) to the Storage account's connection string, or give its endpoints and identity (RelayStorage__accountName or __queueServiceUri/__blobServiceUri/__tableServiceUri, __credential managedidentity, __clientId).");
        }

        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => FailurePrefix + p));
    }
}
