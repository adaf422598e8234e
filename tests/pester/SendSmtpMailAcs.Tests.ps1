#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail -AcsEndpoint: sending through Azure Communication Services Email, against the ACS contract endpoint of
# the test servers (`acs`), which refuses what a real ACS refuses (violations.log), checks HMAC signatures and token
# audiences, and writes each message it sent as NNNNNN.json (the request as received) for the test to read back.
# Each scenario gets its own endpoint process, since its scripted faults are given at start.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/TestServerProcess.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-acs-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    $script:Servers = [Collections.Generic.List[object]]::new()
    $script:AccessKey = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(64))

    function ConvertTo-Base64Url([string] $Json) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Json)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
    function New-AcsToken([string] $Audience = 'https://communication.azure.com') {
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $payload = @{ iss = "https://sts.windows.net/$([guid]::NewGuid())/"; aud = $Audience; nbf = $now - 60; iat = $now - 60; exp = $now + 3600; oid = [guid]::NewGuid().ToString() } | ConvertTo-Json -Compress
        '{0}.{1}.{2}' -f (ConvertTo-Base64Url '{"typ":"JWT","alg":"RS256"}'), (ConvertTo-Base64Url $payload), (ConvertTo-Base64Url 'unsigned')
    }

    function Start-AcsEndpoint([string[]] $Faults = @()) {
        $directory = Join-Path $script:Work ([guid]::NewGuid().ToString('N'))
        $server = Start-TestServerProcess -Command acs -Directory $directory -Arguments (@('--dir', (Join-Path $directory 'mail'), '--access-key', $script:AccessKey) + $Faults)
        $script:Servers.Add($server)
        [pscustomobject]@{ Mail = Join-Path $directory 'mail'; Endpoint = "http://127.0.0.1:$($server.Ready.port)/"; Process = $server.Process }
    }

    # The endpoint writes what it sent every 100 ms: wait for the count, then read each request back.
    function Wait-Sent($Acs, [int] $Count) {
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (@(Get-ChildItem $Acs.Mail -Filter '*.json' -ErrorAction Ignore).Count -lt $Count -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Start-Sleep -Milliseconds 250
        @(Get-ChildItem $Acs.Mail -Filter '*.json' -ErrorAction Ignore | Sort-Object Name | ForEach-Object { Get-Content -Raw $_.FullName | ConvertFrom-Json })
    }

    function Get-EndpointLog($Acs, [string] $Name) {
        Start-Sleep -Milliseconds 250
        $log = Join-Path $Acs.Mail $Name
        if (Test-Path $log) { @(Get-Content $log) } else { @() }
    }
}

AfterAll {
    foreach ($server in $script:Servers) { Stop-TestServerProcess $server.Process }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail -AcsEndpoint' {
    BeforeEach {
        $message = @{ From = 'reports@notify.contoso.test'; To = 'ops@fabrikam.test'; Subject = 'Nightly report'; Body = 'All green.' }
    }

    It 'sends with an Entra token: text, HTML, an inline image, an attachment, Cc, Bcc, Reply-To and headers arrive as composed' {
        $acs = Start-AcsEndpoint
        $logo = Join-Path $script:Work 'logo.png'; [IO.File]::WriteAllBytes($logo, [Security.Cryptography.RandomNumberGenerator]::GetBytes(3000))
        $report = Join-Path $script:Work 'report.csv'; Set-Content -Path $report -Value "server,status`nmx1,ok"

        $result = Send-SmtpMail -AcsEndpoint $acs.Endpoint -AcsAccessToken (New-AcsToken) -From 'Reports <reports@notify.contoso.test>' `
            -To 'Ops <ops@fabrikam.test>' -Cc 'lead@fabrikam.test' -Bcc 'archive@contoso.test' -ReplyTo 'help@contoso.test' -Subject 'Nightly report' `
            -Body 'All green.' -HtmlBody '<p>All green. <img src="cid:logo"></p>' -InlineAttachments @{ logo = $logo } -Attachments $report `
            -Headers @{ 'X-Run' = '42' } -Priority High -PassThru

        $result | Should -BeOfType ([SmtpOps.Acs.AcsSendResult])
        $result.Status | Should -Be 'Succeeded'
        $sent = Wait-Sent $acs 1
        $sent | Should -HaveCount 1
        $sent[0].operationId | Should -Be $result.OperationId
        $sent[0].authentication | Should -Be 'entra'
        $request = $sent[0].request
        $request.senderAddress | Should -Be 'reports@notify.contoso.test'
        $request.content.subject | Should -Be 'Nightly report'
        $request.content.plainText.TrimEnd() | Should -Be 'All green.'
        $request.content.html.TrimEnd() | Should -Be '<p>All green. <img src="cid:logo"></p>'
        $request.recipients.to[0].address | Should -Be 'ops@fabrikam.test'
        $request.recipients.to[0].displayName | Should -Be 'Ops'
        $request.recipients.cc[0].address | Should -Be 'lead@fabrikam.test'
        $request.recipients.bcc[0].address | Should -Be 'archive@contoso.test'
        $request.replyTo[0].address | Should -Be 'help@contoso.test'
        $request.headers.'X-Run' | Should -Be '42'
        $request.headers.Importance | Should -Be 'high'
        $request.headers.'Message-ID' | Should -Be "<$($result.MessageId)>"
        $inline = $request.attachments | Where-Object contentId -EQ 'logo'
        [Convert]::FromBase64String($inline.contentInBase64) | Should -Be ([IO.File]::ReadAllBytes($logo))
        $csv = $request.attachments | Where-Object name -EQ 'report.csv'
        [Convert]::FromBase64String($csv.contentInBase64) | Should -Be ([IO.File]::ReadAllBytes($report))
        Get-EndpointLog $acs 'violations.log' | Should -BeNullOrEmpty
    }

    It 'signs with the access key, and stops with AcsAuthenticationFailed for a wrong key without showing it' {
        $acs = Start-AcsEndpoint

        $result = Send-SmtpMail @message -AcsEndpoint $acs.Endpoint -AcsAccessKey $script:AccessKey -PassThru
        $wrongKey = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(64))
        $failure = { Send-SmtpMail @message -AcsEndpoint $acs.Endpoint -AcsAccessKey $wrongKey } | Should -Throw -PassThru

        $result.Status | Should -Be 'Succeeded'
        (Wait-Sent $acs 1)[0].authentication | Should -Be 'hmac'
        $failure.FullyQualifiedErrorId | Should -Be "AcsAuthenticationFailed,$CommandType"
        $failure.Exception.StatusCode | Should -Be 401
        ($failure | Out-String) + $failure.ErrorDetails.Message + $failure.ErrorDetails.RecommendedAction | Should -Not -Match ([regex]::Escape($wrongKey))
        Wait-Sent $acs 1 | Should -HaveCount 1
    }

    It 'sends again under the same Operation-Id when the 202 is lost, and the message goes out once' {
        $acs = Start-AcsEndpoint -Faults @('--lose-accepted', '1')

        $result = Send-SmtpMail @message -AcsEndpoint $acs.Endpoint -AcsAccessKey $script:AccessKey -RetryIntervalSec 0 -PassThru

        $result.Attempts | Should -Be 2
        $sent = Wait-Sent $acs 1
        $sent | Should -HaveCount 1
        $posts = @(Get-EndpointLog $acs 'requests.log' | Where-Object { $_ -like 'POST *' })
        $posts | Should -HaveCount 2
        $posts | ForEach-Object { $_ | Should -Match ([regex]::Escape($result.OperationId)) }
    }

    It 'waits out a 429 with Retry-After and sends' {
        $acs = Start-AcsEndpoint -Faults @('--throttle', '1:1')

        $result = Send-SmtpMail @message -AcsEndpoint $acs.Endpoint -AcsAccessKey $script:AccessKey -PassThru

        $result.Attempts | Should -Be 2
        Wait-Sent $acs 1 | Should -HaveCount 1
    }

    It 'reports a Failed operation as AcsSendFailed with its code and operation id, and goes on with the next message' {
        $acs = Start-AcsEndpoint -Faults @('--drop', '1')

        $results = 'dropped', 'delivered' | ForEach-Object { [pscustomobject]@{ Subject = $_ } } |
            Send-SmtpMail -AcsEndpoint $acs.Endpoint -AcsAccessKey $script:AccessKey -From 'reports@notify.contoso.test' -To 'ops@fabrikam.test' -Body 'x' -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue

        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -Be "AcsSendFailed,$CommandType"
        $failed[0].Exception.ErrorCode | Should -Be 'EmailDropped'
        $failed[0].Exception.OperationId | Should -Not -BeNullOrEmpty
        $failed[0].ErrorDetails.Message | Should -Match ([regex]::Escape($failed[0].Exception.OperationId))
        @($results).Subject | Should -Be 'delivered'
    }

    It 'refuses more than 50 recipients with AcsMessageNotSupported before sending anything' {
        $acs = Start-AcsEndpoint
        $many = 1..51 | ForEach-Object { "user$_@fabrikam.test" }

        Send-SmtpMail @message -To $many -AcsEndpoint $acs.Endpoint -AcsAccessKey $script:AccessKey -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused[0].FullyQualifiedErrorId | Should -Be "AcsMessageNotSupported,$CommandType"
        $refused[0].Exception.ErrorCode | Should -Be 'TooManyRecipients'
        Get-EndpointLog $acs 'requests.log' | Should -BeNullOrEmpty
    }

    It 'refuses an http endpoint that is not a loopback address with InvalidAcsEndpoint, and a key that is not Base64 with InvalidAcsAccessKey' {
        { Send-SmtpMail @message -AcsEndpoint 'http://contoso.communication.azure.com/' -AcsAccessKey $script:AccessKey } |
            Should -Throw -ErrorId "InvalidAcsEndpoint,$CommandType"
        { Send-SmtpMail @message -AcsEndpoint 'http://127.0.0.1:9/' -AcsAccessKey 'not base64!' } |
            Should -Throw -ErrorId "InvalidAcsAccessKey,$CommandType"
    }
}
