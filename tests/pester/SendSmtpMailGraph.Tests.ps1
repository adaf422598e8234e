#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail -GraphAccessToken: sending through Microsoft Graph, against the Graph contract endpoint of the test
# servers (`graph`), which refuses what a real Graph refuses and writes each refusal to violations.log. Each scenario
# gets its own endpoint process, since its scripted faults are given at start.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/TestServerProcess.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-graph-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    $script:Servers = [Collections.Generic.List[object]]::new()

    function ConvertTo-Base64Url([string] $Json) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Json)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
    function New-GraphToken([string] $Audience = 'https://graph.microsoft.com', [int] $ExpiresInMinutes = 60) {
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $payload = @{ iss = "https://sts.windows.net/$([guid]::NewGuid())/"; aud = $Audience; nbf = $now - 60; iat = $now - 60; exp = $now + 60 * $ExpiresInMinutes; oid = [guid]::NewGuid().ToString() } | ConvertTo-Json -Compress
        '{0}.{1}.{2}' -f (ConvertTo-Base64Url '{"typ":"JWT","alg":"RS256"}'), (ConvertTo-Base64Url $payload), (ConvertTo-Base64Url 'unsigned')
    }

    # Starts an endpoint with the given faults; returns its folder and -GraphEndpoint.
    function Start-GraphEndpoint([string[]] $Faults = @()) {
        $directory = Join-Path $script:Work ([guid]::NewGuid().ToString('N'))
        $server = Start-TestServerProcess -Command graph -Directory $directory -Arguments (@('--dir', (Join-Path $directory 'mail')) + $Faults)
        $script:Servers.Add($server)
        [pscustomobject]@{ Mail = Join-Path $directory 'mail'; Endpoint = "http://127.0.0.1:$($server.Ready.port)/"; Process = $server.Process }
    }

    # The endpoint writes what it accepted every 100 ms: wait for the count.
    function Wait-Sent($Graph, [int] $Count) {
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (@(Get-ChildItem $Graph.Mail -Filter '*.eml' -ErrorAction Ignore).Count -lt $Count -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        @(Get-ChildItem $Graph.Mail -Filter '*.eml' -ErrorAction Ignore | Sort-Object Name)
    }

    function Get-Violations($Graph) {
        Start-Sleep -Milliseconds 250
        $log = Join-Path $Graph.Mail 'violations.log'
        if (Test-Path $log) { @(Get-Content $log) } else { @() }
    }
}

AfterAll {
    foreach ($server in $script:Servers) { Stop-TestServerProcess $server.Process }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail -GraphAccessToken' {
    BeforeEach {
        $message = @{ From = 'reports@contoso.test'; To = 'ops@contoso.test'; Subject = 'Nightly report'; Body = 'All green.' }
    }

    It 'sends a small message as its MIME through sendMail, as the -From mailbox, with one token for the pipeline' {
        $graph = Start-GraphEndpoint
        $token = New-GraphToken

        $results = 1..2 | ForEach-Object { [pscustomobject]@{ Subject = "report $_" } } |
            Send-SmtpMail -GraphAccessToken $token -GraphEndpoint $graph.Endpoint -From 'reports@contoso.test' -To 'ops@contoso.test' -Body 'All green.' -PassThru

        $results | Should -HaveCount 2
        $results[0] | Should -BeOfType ([SmtpOps.Graph.GraphSendResult])
        $results[0].Route | Should -Be 'SendMail'
        $results[0].Mailbox | Should -Be 'reports@contoso.test'
        $results[0].Accepted.Address | Should -Be 'ops@contoso.test'
        $sent = Wait-Sent $graph 2
        $sent | Should -HaveCount 2
        $mime = Get-Content -Raw $sent[0].FullName
        $mime | Should -Match 'Subject: report 1'
        $mime | Should -Match ([regex]::Escape("Message-Id: <$($results[0].MessageId)>"))
        (Get-Content -Raw ($sent[0].FullName -replace '\.eml$', '.json') | ConvertFrom-Json).mailbox | Should -Be 'reports@contoso.test'
        Get-Violations $graph | Should -BeNullOrEmpty
    }

    It 'uploads a large attachment to a draft in chunks, byte for byte, and sends the draft' {
        $graph = Start-GraphEndpoint
        $file = Join-Path $script:Work 'large.bin'
        $bytes = [byte[]]::new(6MB); [Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        [IO.File]::WriteAllBytes($file, $bytes)

        $result = Send-SmtpMail @message -GraphAccessToken (New-GraphToken) -GraphEndpoint $graph.Endpoint -GraphMailbox 'reports@contoso.test' -Attachments $file -PassThru

        $result.Route | Should -Be 'DraftWithUploadSessions'
        $sent = Wait-Sent $graph 1
        $manifest = Get-Content -Raw ($sent[0].FullName -replace '\.eml$', '.json') | ConvertFrom-Json
        $manifest.route | Should -Be 'draft'
        $manifest.attachments.name | Should -Be 'large.bin'
        (Get-FileHash $manifest.attachments[0].path).Hash | Should -Be (Get-FileHash $file).Hash
        Get-Violations $graph | Should -BeNullOrEmpty
    }

    It 'sends five attachments of 1 MB, too many for one request together: those the draft cannot hold are added one POST each' {
        $graph = Start-GraphEndpoint
        $files = foreach ($i in 1..5) {
            $file = Join-Path $script:Work "sheet-$i.pdf"
            $bytes = [byte[]]::new(1MB); [Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
            [IO.File]::WriteAllBytes($file, $bytes)
            $file
        }

        $result = Send-SmtpMail @message -GraphAccessToken (New-GraphToken) -GraphEndpoint $graph.Endpoint -GraphMailbox 'reports@contoso.test' -Attachments $files -PassThru

        $result.Route | Should -Be 'DraftWithUploadSessions'
        $sent = Wait-Sent $graph 1
        $manifest = Get-Content -Raw ($sent[0].FullName -replace '\.eml$', '.json') | ConvertFrom-Json
        $posted = @($manifest.attachments)
        $posted.Count | Should -BeGreaterThan 0
        foreach ($attachment in $posted) {
            $attachment.contentType | Should -Be 'application/pdf'
            (Get-FileHash $attachment.path).Hash | Should -Be (Get-FileHash (Join-Path $script:Work $attachment.name)).Hash
        }

        $inDraft = @(Select-String -Path $sent[0].FullName -Pattern 'filename=' -SimpleMatch)
        ($posted.Count + $inDraft.Count) | Should -Be 5
        Get-Violations $graph | Should -BeNullOrEmpty
    }

    It 'waits out a 429 with Retry-After and sends' {
        $graph = Start-GraphEndpoint -Faults @('--throttle', '1:1')

        $result = Send-SmtpMail @message -GraphAccessToken (New-GraphToken) -GraphEndpoint $graph.Endpoint -PassThru

        $result.Attempts | Should -Be 2
        Wait-Sent $graph 1 | Should -HaveCount 1
    }

    It 'stops with GraphAccessDenied and says what to grant when Graph answers 403 ErrorAccessDenied' {
        $graph = Start-GraphEndpoint -Faults @('--deny', '1')

        $failure = { Send-SmtpMail @message -GraphAccessToken (New-GraphToken) -GraphEndpoint $graph.Endpoint } | Should -Throw -PassThru

        $failure.FullyQualifiedErrorId | Should -Be "GraphAccessDenied,$CommandType"
        $failure.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $failure.Exception.ErrorCode | Should -Be 'ErrorAccessDenied'
        $failure.Exception.StatusCode | Should -Be 403
        $failure.ErrorDetails.RecommendedAction | Should -Match 'Mail\.Send'
        $failure.ErrorDetails.RecommendedAction | Should -Match 'RBAC for Applications'
        Wait-Sent $graph 0 | Should -BeNullOrEmpty
    }

    It 'stops with GraphAuthenticationFailed for a token that is not for Graph, and never shows the token' {
        $graph = Start-GraphEndpoint
        $token = New-GraphToken -Audience 'https://storage.azure.com'

        $failure = { Send-SmtpMail @message -GraphAccessToken $token -GraphEndpoint $graph.Endpoint } | Should -Throw -PassThru

        $failure.FullyQualifiedErrorId | Should -Be "GraphAuthenticationFailed,$CommandType"
        $failure.Exception.StatusCode | Should -Be 401
        ($failure | Out-String) + $failure.ErrorDetails.RecommendedAction | Should -Not -Match ([regex]::Escape($token.Split('.')[1]))
    }

    It 'refuses an http endpoint that is not a loopback address with InvalidGraphEndpoint' {
        { Send-SmtpMail @message -GraphAccessToken (New-GraphToken) -GraphEndpoint 'http://graph.contoso.test/' } |
            Should -Throw -ErrorId "InvalidGraphEndpoint,$CommandType"
    }

    It 'keeps the message validation ids of SMTP, and sends nothing with -WhatIf' {
        $graph = Start-GraphEndpoint
        Send-SmtpMail @message -To 'not an address' -GraphAccessToken (New-GraphToken) -GraphEndpoint $graph.Endpoint -ErrorVariable invalid -ErrorAction SilentlyContinue
        $invalid[0].FullyQualifiedErrorId | Should -Be "InvalidMailAddress,$CommandType"

        Send-SmtpMail @message -GraphAccessToken (New-GraphToken) -GraphEndpoint $graph.Endpoint -WhatIf
        Wait-Sent $graph 0 | Should -BeNullOrEmpty
    }
}
