// The SmtpOps relay in Azure: a Flex Consumption Function App (.NET 10 isolated worker) with two Storage accounts,
// shared keys disabled on both: the Functions host's own (AzureWebJobsStorage: the deployment package, leases, host
// keys) and the relay's data (its queues, claim-check container and ledger), so that no role on the relay's data
// reaches the code or the keys of the app. Both are reached only through role assignments scoped to what each
// principal uses: a user-assigned managed identity for the app, optional operators and enqueuers; Application
// Insights with Entra authentication; the smarthost password in Key Vault, or no secret at all with OAuth (XOAUTH2)
// through the same managed identity. Deploy with `azd up` from functions/, or `az deployment group create`
// (functions/README.md, "Deploy to Azure"). Resources are written directly: no registry modules.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd: AZURE_ENV_NAME); with the resource group it makes the resource names unique.')
param environmentName string = 'smtpops'

@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@minLength(3)
@maxLength(51)
@description('Relay:QueueName, the queue the enqueuers write to. <queue>-failed, <queue>-poison, <queue>-attachments (at most 63 characters, hence 51 here) and the ledger table derive from it, as RelayStorage names them.')
param relayQueueName string = 'smtpops-relay'

@description('Relay:Smarthost:Host, the submission server.')
param smarthostHost string = 'smtp.office365.com'

@minValue(1)
@maxValue(65535)
@description('Relay:Smarthost:Port: 587 for STARTTLS, 465 for implicit TLS.')
param smarthostPort int = 587

@allowed([
  'StartTls'
  'SslOnConnect'
])
@description('Relay:Smarthost:Security. A cloud relay never submits in plaintext: only STARTTLS (587) and implicit TLS (465) are offered.')
param smarthostSecurity string = 'StartTls'

@allowed([
  'ManagedIdentity'
  'Password'
])
@description('How the relay authenticates to the smarthost: ManagedIdentity is OAuth2 (XOAUTH2) with this deployment\'s managed identity and no secret at all (Exchange Online: grant it SMTP.SendAsApp); Password is AUTH PLAIN/LOGIN with the password held in Key Vault.')
param smarthostAuthentication string = 'ManagedIdentity'

@description('Relay:OAuth:Mailbox, the mailbox that sends (the XOAUTH2 user), with smarthostAuthentication ManagedIdentity.')
param oauthMailbox string = ''

@description('Relay:Smarthost:UserName, with smarthostAuthentication Password.')
param smarthostUserName string = ''

@secure()
@description('The smarthost password, with smarthostAuthentication Password: stored as the Key Vault secret smarthost-password and referenced from the app settings, never written to them. Leave it empty to set the secret yourself (az keyvault secret set).')
param smarthostPassword string = ''

@description('DKIM: the domain the relay signs mail from (that domain and its subdomains) with d=<domain>, as Relay:Dkim:<domain>; empty for no DKIM signing. Only with the SMTP transport.')
param dkimDomain string = ''

@description('DKIM: the selector the key is published under (<selector>._domainkey.<dkimDomain>; New-DkimKey prints the record).')
param dkimSelector string = ''

@secure()
@description('DKIM: the private key PEM (New-DkimKey writes it), stored as the Key Vault secret dkim-key and referenced from the app settings, never written to them. Leave it empty to set the secret yourself (az keyvault secret set --name dkim-key --file key.pem).')
param dkimPrivateKeyPem string = ''

@minLength(1)
@description('Relay:Policy:AllowedSenders, comma-separated: the addresses (reports@contoso.com) or domains (contoso.com) the relay may send for.')
param allowedSenders string

@minValue(0)
@description('Relay:MessagesPerMinute of the sending budget (0: no limit), shared by all instances through the ledger table: the mailbox\'s limit itself (Exchange Online: 30 a minute per mailbox), not divided by maximumInstanceCount.')
param messagesPerMinute int = 30

@minValue(1)
@description('Relay:Smarthost:MaxConnections per instance. Exchange Online accepts three concurrent connections per mailbox, across all instances.')
param smarthostMaxConnections int = 3

@minValue(1)
@maxValue(100)
@description('Relay:MaxAttempts; the queue trigger\'s maxDequeueCount is set to the same value (the Function refuses to start when they differ).')
param maxAttempts int = 5

@minValue(1)
@maxValue(1000)
@description('Flex Consumption maximumInstanceCount. 1 by default because a smarthost\'s limits (rate, connections) are per mailbox; raise it only with messagesPerMinute and smarthostMaxConnections divided accordingly.')
param maximumInstanceCount int = 1

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption instance memory in MB.')
param instanceMemoryMB int = 2048

@description('Object id of a user or group that operates the relay from PowerShell (Get-SmtpRelayQueue, Get-SmtpRelayFailure, Resume-SmtpRelayFailure, Remove-SmtpRelayFailure, Find-SmtpRelayMessage) and may enqueue with an Entra token: Queue Data Contributor on the relay\'s three queues, Blob Data Contributor on <queue>-attachments, Table Data Contributor on the ledger table, nothing on the host\'s account. azd passes the signed-in user (AZURE_PRINCIPAL_ID). Empty: none.')
param operatorPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('The kind of principal operatorPrincipalId is.')
param operatorPrincipalType string = 'User'

@description('Object ids of the principals that only enqueue (a cloud app\'s or a runbook\'s managed identity), comma-separated: each gets Storage Queue Data Message Sender on the relay queue and Storage Blob Data Contributor on <queue>-attachments, nothing else. Empty: none.')
param enqueuerPrincipalIds string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('The kind of principal every enqueuerPrincipalIds entry is.')
param enqueuerPrincipalType string = 'ServicePrincipal'

@description('Send through Azure Communication Services Email instead of the smarthost (Relay:Transport Acs): creates an Email Communication Service with a domain, a Communication Services resource linked to it, and gives the relay\'s identity the role that may send through it. Off by default; the smarthost parameters are then unused.')
param acsEnabled bool = false

@description('Where ACS keeps its data at rest (a geography, e.g. United States, Europe, UK, Switzerland); ACS resources themselves are global.')
param acsDataLocation string = 'Europe'

@description('A custom sender domain to add to the Email Communication Service (its DNS records must be verified before it can send); empty: an Azure-managed domain (<guid>.azurecomm.net, sender DoNotReply@), usable at once with low limits.')
param acsSenderDomain string = ''

// ---------------------------------------------------------------------------------------------------------------
// Names: RelayStorage.FailedQueueName, AttachmentContainerName, LedgerTableName and the poison queue
// (SmtpOps.Core) derive them from the queue name in the same way; tests/SmtpOps.Infra.Tests checks that they agree.
// ---------------------------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(resourceGroup().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-relay-${resourceToken}'
var failedQueueName = '${relayQueueName}-failed'
// Written by the Functions host (the queue trigger's poison copies), read and emptied by the operation cmdlets; the
// template creates it so that roles can be scoped to it.
var poisonQueueName = '${relayQueueName}-poison'
// The relay queue first: relayQueues[0] is the queue the enqueuers write to.
var relayQueueNames = [
  relayQueueName
  failedQueueName
  poisonQueueName
]
var attachmentContainerName = '${relayQueueName}-attachments'
// Queue names hold only lowercase letters, digits and hyphens, so dropping the hyphens keeps the letters and digits.
var ledgerTableName = take('relaysent${replace(relayQueueName, '-', '')}', 63)
var deploymentContainerName = 'app-package'
var smarthostPasswordSecretName = 'smarthost-password'
var usePassword = smarthostAuthentication == 'Password'
var useDkim = !empty(dkimDomain)
// The vault holds this relay's secrets only: the smarthost password and the DKIM key.
var useVault = usePassword || useDkim
var dkimKeySecretName = 'dkim-key'
var senders = filter(map(split(allowedSenders, ','), sender => trim(sender)), sender => !empty(sender))
var enqueuers = filter(map(split(enqueuerPrincipalIds, ','), id => trim(id)), id => !empty(id))

// Built-in role definitions (ids are the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // The built-in role Microsoft documents for sending ACS Email with a Microsoft Entra identity; assigned on the one
  // Communication Services resource only (it manages that resource: there is no narrower built-in role for sending).
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
}

// ---------------------------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------------------------

// One identity for everything the app reaches: Storage (host and relay), Application Insights, Key Vault, and in
// ManagedIdentity mode the smarthost (its service principal is what Exchange Online grants SMTP.SendAsApp to).
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-relay-${resourceToken}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------------------
// Storage: two accounts, shared keys disabled on both. The host's (AzureWebJobsStorage) holds the deployment package
// and what the Functions host keeps (leases, host keys); the relay's data account holds the relay queue, -failed,
// -poison, -attachments and the ledger table, and nothing the app runs from. A principal that can write the relay's
// data can therefore never reach the package or the keys, whatever name it gets the relay to use.
// ---------------------------------------------------------------------------------------------------------------

var storageProperties = {
  allowSharedKeyAccess: false
  defaultToOAuthAuthentication: true
  allowBlobPublicAccess: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  publicNetworkAccess: 'Enabled'
  networkAcls: {
    defaultAction: 'Allow'
    bypass: 'AzureServices'
  }
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: 'sthost${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: storageProperties

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
    }
  }
}

// The relay's data. Its name is the one the single account of earlier versions had, so RELAY_QUEUE_URI and the
// enqueuers' settings stay the same on an upgrade (functions/README.md, "Upgrading from one account").
resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: storageProperties

  resource blobService 'blobServices' = {
    name: 'default'

    resource attachmentContainer 'containers' = {
      name: attachmentContainerName
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource ledgerTable 'tables' = {
      name: ledgerTableName
    }
  }
}

resource relayQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = [
  for name in relayQueueNames: {
    parent: dataStorage::queueService
    name: name
  }
]

// ---------------------------------------------------------------------------------------------------------------
// Monitoring: Application Insights with local (instrumentation key) authentication disabled
// ---------------------------------------------------------------------------------------------------------------

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Key Vault (Password mode only): RBAC authorization, the smarthost password as a secret
// ---------------------------------------------------------------------------------------------------------------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = if (useVault) {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

resource smarthostPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (usePassword && !empty(smarthostPassword)) {
  parent: vault
  name: smarthostPasswordSecretName
  properties: {
    value: smarthostPassword
  }
}

resource dkimKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (useDkim && !empty(dkimPrivateKeyPem)) {
  parent: vault
  name: dkimKeySecretName
  properties: {
    value: dkimPrivateKeyPem
    contentType: 'application/x-pem-file'
  }
}

// Versionless: the app reads the newest version of the secret (within a day of a rotation, or at its next restart).
var dkimKeySecretUri = 'https://kv-${resourceToken}${environment().suffixes.keyvaultDns}/secrets/${dkimKeySecretName}/'

// Versionless: the app reads the newest version of the secret (within a day of a rotation, or at its next restart).
var smarthostPasswordSecretUri = 'https://kv-${resourceToken}${environment().suffixes.keyvaultDns}/secrets/${smarthostPasswordSecretName}/'

// ---------------------------------------------------------------------------------------------------------------
// Role assignments: data roles only, no keys anywhere
// ---------------------------------------------------------------------------------------------------------------

// Every Storage role is scoped to the account, queue, container or table it is needed on. On the relay's data account
// no principal holds an account-wide role, and none holds Blob Data Owner (which could grant itself access through
// ACLs and reads every container).

// The Functions host, on its own account only: Blob Data Owner is what the host needs for its blobs (deployment
// package, leases, host keys: Microsoft's "Connecting to host storage with an identity"), Table Data Contributor for
// the host's diagnostic events. Nothing of the relay's data is on this account.
resource identityHostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, identity.id, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityHostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, identity.id, roles.storageTableDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The relay queue: the trigger receives, updates (the relay's backoff) and deletes messages; <queue>-failed: the
// relay creates it and adds dead-letter records; <queue>-poison: the host creates it and adds poison copies.
resource identityQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, index) in relayQueueNames: {
    name: guid(relayQueues[index].id, identity.id, roles.storageQueueDataContributor)
    scope: relayQueues[index]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// <queue>-attachments: read claim-checked content, write a dead letter's original, delete after the 250.
resource identityAttachmentContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage::blobService::attachmentContainer.id, identity.id, roles.storageBlobDataContributor)
  scope: dataStorage::blobService::attachmentContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The idempotency ledger: create the table, add (claim), read, replace and delete entities.
resource identityLedgerContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage::tableService::ledgerTable.id, identity.id, roles.storageTableDataContributor)
  scope: dataStorage::tableService::ledgerTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry to Application Insights with Entra authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
resource identityMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Reads the smarthost password and the DKIM key for the Key Vault references (the vault holds this relay's secrets
// only, so the vault scope grants no more than those; it also covers a secret the operator sets after deployment).
resource identitySecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useVault) {
  name: guid(resourceGroup().id, 'kv-${resourceToken}', identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The operator (the relay operation cmdlets): read, re-send (put on the relay queue) and remove dead letters and
// poison messages, delete a failure's claim-checked blobs, read the ledger and release a key (Resume -Force); it may
// enqueue too. Scoped like the identity's roles; nothing on the host's account.
resource operatorQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, index) in relayQueueNames: if (!empty(operatorPrincipalId)) {
    name: guid(relayQueues[index].id, operatorPrincipalId, roles.storageQueueDataContributor)
    scope: relayQueues[index]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

resource operatorAttachmentContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(dataStorage::blobService::attachmentContainer.id, operatorPrincipalId, roles.storageBlobDataContributor)
  scope: dataStorage::blobService::attachmentContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

resource operatorLedgerContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(dataStorage::tableService::ledgerTable.id, operatorPrincipalId, roles.storageTableDataContributor)
  scope: dataStorage::tableService::ledgerTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// Enqueuers: put messages on the relay queue (not read, update or delete them) and upload claim-checked content to
// <queue>-attachments. They need the queue and the container to exist: the template creates both.
resource enqueuerQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in enqueuers: {
    name: guid(relayQueues[0].id, principalId, roles.storageQueueDataMessageSender)
    scope: relayQueues[0]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
      principalId: principalId
      principalType: enqueuerPrincipalType
    }
  }
]

resource enqueuerAttachmentContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in enqueuers: {
    name: guid(dataStorage::blobService::attachmentContainer.id, principalId, roles.storageBlobDataContributor)
    scope: dataStorage::blobService::attachmentContainer
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
      principalId: principalId
      principalType: enqueuerPrincipalType
    }
  }
]

// ---------------------------------------------------------------------------------------------------------------
// Azure Communication Services Email (acsEnabled): Relay:Transport Acs with the relay's identity, no secret
// (https://learn.microsoft.com/azure/communication-services/quickstarts/email/create-email-communication-resource,
// https://learn.microsoft.com/azure/communication-services/quickstarts/email/connect-email-communication-resource)
// ---------------------------------------------------------------------------------------------------------------

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = if (acsEnabled) {
  name: 'ecs-relay-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: acsDataLocation
  }
}

resource emailDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (acsEnabled) {
  parent: emailService
  name: empty(acsSenderDomain) ? 'AzureManagedDomain' : acsSenderDomain
  location: 'global'
  tags: tags
  properties: {
    domainManagement: empty(acsSenderDomain) ? 'AzureManaged' : 'CustomerManaged'
    // Transactional mail: no open/click tracking rewriting the relay's messages.
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = if (acsEnabled) {
  name: 'acs-relay-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: acsDataLocation
    linkedDomains: [
      emailDomain.id
    ]
  }
}

// The relay's identity may send through this one resource; nothing else is granted on it.
resource identityAcsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (acsEnabled) {
  name: guid(communication.id, identity.id, roles.communicationAndEmailServiceOwner)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.communicationAndEmailServiceOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The Function App: Flex Consumption FC1, dotnet-isolated 10.0
// ---------------------------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'relay' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (there is no system-assigned one).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// App settings: identity-based Storage for the host and the relay, telemetry with Entra authentication, and the
// Relay section (functions/README.md, Settings). The __ form is what the Functions host turns into Relay:...
// ---------------------------------------------------------------------------------------------------------------

// The Functions host's own storage on the host's account: blobs (leases, host keys) and tables (diagnostic events);
// no queue service, the host keeps no queue there. The relay's (the trigger's Connection = "RelayStorage", the
// poison queue, and the relay's dead-letter queue, claim-check container and ledger table) on the data account. One
// identity, no key.
var storageSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__tableServiceUri: hostStorage.properties.primaryEndpoints.table
  RelayStorage__credential: 'managedidentity'
  RelayStorage__clientId: identity.properties.clientId
  RelayStorage__blobServiceUri: dataStorage.properties.primaryEndpoints.blob
  RelayStorage__queueServiceUri: dataStorage.properties.primaryEndpoints.queue
  RelayStorage__tableServiceUri: dataStorage.properties.primaryEndpoints.table
}

var telemetrySettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

var relaySettings = {
  Relay__QueueName: relayQueueName
  Relay__Smarthost__Host: smarthostHost
  Relay__Smarthost__Port: string(smarthostPort)
  Relay__Smarthost__Security: smarthostSecurity
  Relay__Smarthost__MaxConnections: string(smarthostMaxConnections)
  Relay__MessagesPerMinute: string(messagesPerMinute)
  Relay__MaxAttempts: string(maxAttempts)
  // host.json says 5; the relay dead-letters with its reason at Relay:MaxAttempts, so the host's poison limit follows it.
  AzureFunctionsJobHost__extensions__queues__maxDequeueCount: string(maxAttempts)
}

var senderSettings = toObject(
  range(0, length(senders)),
  index => 'Relay__Policy__AllowedSenders__${index}',
  index => senders[index]
)

var authenticationSettings = usePassword
  ? {
      Relay__Smarthost__UserName: smarthostUserName
      Relay__Smarthost__Password: '@Microsoft.KeyVault(SecretUri=${smarthostPasswordSecretUri})'
    }
  : {
      Relay__OAuth__Mode: 'ManagedIdentity'
      Relay__OAuth__ClientId: identity.properties.clientId
      Relay__OAuth__Mailbox: oauthMailbox
    }

// Relay:Transport Acs: the relay's (user-assigned) identity, by its client id; no smarthost credential at all.
var acsSettings = acsEnabled
  ? {
      Relay__Transport: 'Acs'
      Relay__Acs__Endpoint: 'https://${communication!.properties.hostName}/'
      Relay__OAuth__Mode: 'ManagedIdentity'
      Relay__OAuth__ClientId: identity.properties.clientId
    }
  : {}

// DKIM (Relay:Dkim:<domain>): the key by Key Vault reference, never as a value.
var dkimSettings = useDkim
  ? {
      'Relay__Dkim__${dkimDomain}__Selector': dkimSelector
      'Relay__Dkim__${dkimDomain}__KeyPem': '@Microsoft.KeyVault(SecretUri=${dkimKeySecretUri})'
    }
  : {}

resource functionAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(storageSettings, telemetrySettings, relaySettings, senderSettings, acsEnabled ? acsSettings : authenticationSettings, dkimSettings)
  // The host and the relay check Storage at start-up: give them their roles first.
  dependsOn: [
    identityHostBlobOwner
    identityHostTableContributor
    identityQueueContributor
    identityAttachmentContributor
    identityLedgerContributor
    identityMetricsPublisher
    identitySecretsUser
    identityAcsSender
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment)
// ---------------------------------------------------------------------------------------------------------------

output AZURE_FUNCTION_NAME string = functionApp.name
output RELAY_QUEUE_URI string = '${dataStorage.properties.primaryEndpoints.queue}${relayQueueName}'
output RELAY_STORAGE_ACCOUNT string = dataStorage.name
output FUNCTIONS_HOST_STORAGE_ACCOUNT string = hostStorage.name
output RELAY_IDENTITY_CLIENT_ID string = identity.properties.clientId
output ACS_ENDPOINT string = acsEnabled ? 'https://${communication!.properties.hostName}/' : ''
output ACS_SENDER_DOMAIN string = acsEnabled ? emailDomain!.properties.mailFromSenderDomain : ''
output RELAY_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output RELAY_KEY_VAULT_NAME string = useVault ? 'kv-${resourceToken}' : ''
