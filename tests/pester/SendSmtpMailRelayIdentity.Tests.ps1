#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail -RelayQueueUri -RelayAccessToken: enqueueing on a Storage account without shared keys, with a
# Microsoft Entra token, against Azurite in OAuth mode over HTTPS (its certificate from the run's CA, which this
# process trusts through SSL_CERT_FILE). Azurite checks the token's issuer, audience and validity, not its signature.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/Azurite.psm1') -Force
    if (-not $env:SMTPOPS_TEST_CA) { throw 'SMTPOPS_TEST_CA is not set: run the suites through ./build.ps1 test.' }
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-identity-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'

    # A server certificate for 127.0.0.1 from the run's CA, as PEM files for Azurite.
    $ca = [Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile((Join-Path $env:SMTPOPS_TEST_CA 'ca.pem'), (Join-Path $env:SMTPOPS_TEST_CA 'ca.key.pem'))
    $key = [Security.Cryptography.RSA]::Create(2048)
    $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=127.0.0.1', $key, 'SHA256', [Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $san = [Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddIpAddress([Net.IPAddress]::Loopback)
    $request.CertificateExtensions.Add($san.Build())
    $serial = [byte[]]::new(16); [Security.Cryptography.RandomNumberGenerator]::Fill($serial); $serial[0] = $serial[0] -band 0x7F -bor 1
    $leaf = $request.Create($ca, [DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(7), $serial)
    $certificatePath = Join-Path $script:Work 'azurite.pem'
    $keyPath = Join-Path $script:Work 'azurite.key.pem'
    Set-Content -Path $certificatePath -Value $leaf.ExportCertificatePem()
    Set-Content -Path $keyPath -Value $key.ExportPkcs8PrivateKeyPem()
    $script:Azurite = Start-Azurite -Directory (Join-Path $script:Work 'azurite') -CertificatePath $certificatePath -KeyPath $keyPath

    function ConvertTo-Base64Url([string] $Json) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Json)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
    function New-StorageToken([int] $ExpiresInMinutes = 60) {
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $payload = @{ iss = "https://sts.windows.net/$([guid]::NewGuid())/"; aud = 'https://storage.azure.com'; nbf = $now - 60; iat = $now - 60; exp = $now + 60 * $ExpiresInMinutes; oid = [guid]::NewGuid().ToString() } | ConvertTo-Json -Compress
        '{0}.{1}.{2}' -f (ConvertTo-Base64Url '{"typ":"JWT","alg":"RS256"}'), (ConvertTo-Base64Url $payload), (ConvertTo-Base64Url 'not-checked-by-azurite')
    }

    $moduleBase = (Get-Module SmtpOps).ModuleBase
    Add-Type -Path (Join-Path $moduleBase 'Dependencies/Azure.Storage.Queues.dll')
    function Get-QueuedEnvelope([string] $Queue) {
        $client = [Azure.Storage.Queues.QueueClient]::new($script:Azurite.ConnectionString, $Queue)
        @($client.PeekMessages(32).Value | ForEach-Object { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($_.Body.ToString())) | ConvertFrom-Json })
    }
}

AfterAll {
    if ($script:Azurite) { Stop-Azurite $script:Azurite }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail -RelayQueueUri -RelayAccessToken' {
    BeforeEach {
        $queue = "identity$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $relay = @{
            RelayQueueUri     = "$($Azurite.QueueEndpoint)/$queue"
            RelayContainerUri = "$($Azurite.BlobEndpoint)/$queue-attachments"
            From              = 'reports@contoso.test'
            To                = 'ops@contoso.test'
        }
    }

    It 'enqueues with a bearer token, attachments through the claim-check container too' {
        $file = Join-Path $Work 'report.bin'
        $bytes = [byte[]]::new(200KB); [Random]::new(7).NextBytes($bytes); [IO.File]::WriteAllBytes($file, $bytes)
        $token = ConvertTo-SecureString (New-StorageToken) -AsPlainText -Force

        $result = Send-SmtpMail @relay -RelayAccessToken $token -Subject 'With identity' -Body 'b' -Attachments $file -PassThru

        $result.Status | Should -Be 'Queued'
        $result.BlobCount | Should -Be 1
        $envelope = @(Get-QueuedEnvelope $queue)
        $envelope | Should -HaveCount 1
        $envelope[0].subject | Should -Be 'With identity'
    }

    It 'takes the token as a plain string too (what older Get-AzAccessToken returns)' {
        (Send-SmtpMail @relay -RelayAccessToken (New-StorageToken) -Subject 'plain' -Body 'b' -PassThru).Status | Should -Be 'Queued'
    }

    It 'says what to check when the token is refused (RelayEnqueueFailed, AuthenticationError), within seconds' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = { Send-SmtpMail @relay -RelayAccessToken 'not-a-jwt' -Subject 'x' -Body 'b' -ErrorAction Stop } | Should -Throw -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 15
        $err.FullyQualifiedErrorId | Should -Be "RelayEnqueueFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.ErrorDetails.RecommendedAction | Should -Match 'RelayAccessToken.*https://storage.azure.com'
        "$err $($err.ErrorDetails.Message)" | Should -Not -Match 'not-a-jwt'
    }

    It 'asks for -RelayContainerUri when it cannot derive it from the queue URI (RelayContainerUriRequired)' {
        $err = { Send-SmtpMail -RelayQueueUri "$($Azurite.QueueEndpoint)/$queue" -RelayAccessToken (New-StorageToken) -From 'a@contoso.test' -To 'b@contoso.test' -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "RelayContainerUriRequired,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'The relay operation cmdlets with -RelayAccessToken' {
    BeforeAll {
        $script:InspectCommand = 'SmtpOps.PowerShell.Commands.GetSmtpRelayQueueCommand'
    }

    BeforeEach {
        $queue = "ops$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $services = @{
            RelayQueueServiceUri = $Azurite.QueueEndpoint
            RelayBlobServiceUri  = $Azurite.BlobEndpoint
            RelayTableServiceUri = $Azurite.TableEndpoint
        }
    }

    It 'reads the queue, its blobs and one message''s place with a bearer token (no key anywhere)' {
        $file = Join-Path $Work 'ops.bin'
        [IO.File]::WriteAllBytes($file, [byte[]]::new(100KB))
        $token = New-StorageToken
        $queued = Send-SmtpMail -RelayQueueUri "$($Azurite.QueueEndpoint)/$queue" -RelayContainerUri "$($Azurite.BlobEndpoint)/$queue-attachments" -RelayAccessToken $token `
            -From 'reports@contoso.test' -To 'ops@contoso.test' -Subject 'ops' -Body 'b' -Attachments $file -PassThru

        $status = Get-SmtpRelayQueue $queue @services -RelayAccessToken (ConvertTo-SecureString $token -AsPlainText -Force)
        $status.Waiting | Should -Be 1
        $status.Blobs | Should -Be 1
        $status.DeadLettered | Should -Be 0

        (Find-SmtpRelayMessage -MessageId $queued.MessageId -RelayQueue $queue @services -RelayAccessToken $token).State | Should -Be 'Waiting'
        @(Get-SmtpRelayFailure $queue @services -RelayAccessToken $token) | Should -BeNullOrEmpty
    }

    It 'says what to check when the token is refused (RelayStorageFailed, AuthenticationError), without repeating it' {
        $err = { Get-SmtpRelayQueue $queue @services -RelayAccessToken 'not-a-jwt' -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "RelayStorageFailed,$InspectCommand"
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.ErrorDetails.RecommendedAction | Should -Match 'RelayAccessToken.*https://storage.azure.com'
        "$err $($err.ErrorDetails.Message) $($err.ErrorDetails.RecommendedAction)" | Should -Not -Match 'not-a-jwt'
    }

    It 'asks for the blob and table services when it cannot derive them (RelayServiceUriRequired), before any request' {
        $err = { Get-SmtpRelayQueue $queue -RelayQueueServiceUri $Azurite.QueueEndpoint -RelayAccessToken (New-StorageToken) -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "RelayServiceUriRequired,$InspectCommand"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($err.ErrorDetails.Message)" | Should -Match '-RelayBlobServiceUri'
    }

    It 'offers the three ways to reach the account as parameter sets, the connection string by default' {
        foreach ($name in 'Get-SmtpRelayQueue', 'Get-SmtpRelayFailure', 'Resume-SmtpRelayFailure', 'Remove-SmtpRelayFailure', 'Find-SmtpRelayMessage') {
            $command = Get-Command $name
            $command.DefaultParameterSet | Should -Be 'ConnectionString' -Because $name
            @($command.ParameterSets.Name | Sort-Object) | Should -Be @('AccessTokenAccountName', 'AccessTokenServiceUri', 'ConnectionString') -Because $name
        }
    }

    It 'completes -RelayQueue from the account when a token and the queue service are on the command line' {
        $token = New-StorageToken
        Send-SmtpMail -RelayQueueUri "$($Azurite.QueueEndpoint)/$queue" -RelayContainerUri "$($Azurite.BlobEndpoint)/$queue-attachments" -RelayAccessToken $token -From 'a@contoso.test' -To 'b@contoso.test' -Subject 'x' -Body 'b'
        $line = "Get-SmtpRelayQueue -RelayQueueServiceUri '$($Azurite.QueueEndpoint)' -RelayAccessToken '$token' -RelayQueue $($queue.Substring(0, 6))"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $queue
    }
}

Describe 'Send-SmtpMail -RelayQueue -RelayAccountName -RelayAccessToken' {
    It 'addresses the queue by account name in the public cloud (its endpoint in the error, the account parameter in the advice)' {
        # No Azure here: a name that does not exist fails as unreachable, which shows the endpoint it was turned into.
        $account = "smtpopsnx$(Get-Random -Minimum 10000 -Maximum 99999)"
        $err = { Send-SmtpMail -RelayQueue 'mail' -RelayAccountName $account -RelayAccessToken (New-StorageToken) -From 'a@contoso.test' -To 'b@contoso.test' -Subject 's' -Body 'b' -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "RelayEnqueueFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be "$account/mail"
        $err.ErrorDetails.Message | Should -Match ([regex]::Escape("https://$account.queue.core.windows.net/mail"))
        $err.ErrorDetails.RecommendedAction | Should -Match '-RelayAccountName'
    }

    It 'refuses a name that cannot be a Storage account before anything is sent' {
        { Send-SmtpMail -RelayQueue 'mail' -RelayAccountName 'Not_An.Account' -RelayAccessToken 't' -From 'a@contoso.test' -To 'b@contoso.test' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    }
}
