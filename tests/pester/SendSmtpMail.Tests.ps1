#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail in real pwsh, from the packaged module, against a real SMTP server on 127.0.0.1.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    $moduleBase = (Get-Module SmtpOps).ModuleBase
    Add-Type -Path (Join-Path $moduleBase 'Dependencies/MimeKit.dll')

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-pester-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Password = 'Pester-S3cret!'
    $script:Credential = [pscredential]::new('alice', (ConvertTo-SecureString $script:Password -AsPlainText -Force))
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'

    function Read-Mime([string] $Path) { [MimeKit.MimeMessage]::Load($Path) }
    function New-SinkFolder([string] $Name) { Join-Path $script:Work $Name }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail: a daily report over STARTTLS with AUTH' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (New-SinkFolder 'report') -StartTls -User "alice:$Password"
        $csv = Join-Path $Work 'report.csv'
        Get-Process | Select-Object -First 20 Name, Id, WorkingSet64 | Export-Csv -Path $csv -NoTypeInformation
        $binary = Join-Path $Work 'data.bin'
        $bytes = [byte[]]::new(300KB); [Random]::new(42).NextBytes($bytes)
        [IO.File]::WriteAllBytes($binary, $bytes)
        $logo = Join-Path $Work 'logo.png'
        [IO.File]::WriteAllBytes($logo, [Convert]::FromBase64String('iVBORw0KGgoAAAANSUhEUgAAADAAAAAQCAIAAADfzGvmAAAAKUlEQVR42mNgiJo3uNCog0YdRH0H/acjGHXQqINGpoNGy6FRBw1tBwEAy22cdXQ4ktMAAAAASUVORK5CYII='))
        $transcript = Join-Path $Work 'transcript.log'

        $result = Send-SmtpMail -To 'Ops Team <ops@contoso.test>' -Cc 'cfo@contoso.test' -From 'Reports <reports@contoso.test>' `
            -Subject 'Rapport quotidien ✓' -Body 'Plain summary' -HtmlBody '<h1>Report</h1><img src="cid:logo"><table><tr><td>ok</td></tr></table>' `
            -Attachments $csv, $binary -InlineAttachments @{ logo = $logo } -Headers @{ 'X-Report-Id' = '2026-11-29' } -Priority High `
            -SmtpServer 127.0.0.1 -Port $sink.Port -Security StartTls -CertificateThumbprint $sink.Thumbprint -Credential $Credential `
            -TranscriptPath $transcript -PassThru
        $files = Get-SinkMessageFile $sink
        $message = Read-Mime $files[0].FullName
    }
    AfterAll { Stop-SmtpSink $sink; $message.Dispose() }

    It 'returns one typed result with the server, TLS and recipients' {
        $result | Should -HaveCount 1
        $result.GetType().FullName | Should -Be 'SmtpOps.Smtp.SmtpSendResult'
        $result.TlsProtocol | Should -Not -Be 'None'
        $result.Port | Should -Be $sink.Port
        $result.Accepted.Address | Should -Be @('ops@contoso.test', 'cfo@contoso.test')
        $result.Rejected | Should -HaveCount 0
        $result.StatusCode | Should -Be 250
    }

    It 'arrives once, authenticated and encrypted' {
        $files | Should -HaveCount 1
        $envelope = Get-SinkEnvelope $sink
        $envelope[0].authenticatedUser | Should -Be 'alice'
        $envelope[0].secure | Should -BeTrue
    }

    It 'arrives intact as multipart/mixed(alternative(text, related(html, logo)), csv, bin)' {
        $message.Subject | Should -Be 'Rapport quotidien ✓'
        $message.MessageId | Should -Be $result.MessageId
        $message.Headers['X-Report-Id'] | Should -Be '2026-11-29'
        $message.Body.ContentType.MimeType | Should -Be 'multipart/mixed'
        $alternative = $message.Body[0]
        $alternative.ContentType.MimeType | Should -Be 'multipart/alternative'
        $alternative[0].Text | Should -Be 'Plain summary'
        $alternative[1].ContentType.MimeType | Should -Be 'multipart/related'
        $alternative[1][0].Text | Should -Match 'cid:logo'
        $alternative[1][1].ContentId | Should -Be 'logo'
    }

    It 'carries attachments byte for byte' {
        foreach ($path in $csv, $binary) {
            $name = Split-Path $path -Leaf
            $part = @($message.Attachments | Where-Object { $_.FileName -eq $name })
            $part | Should -HaveCount 1
            $decoded = [IO.MemoryStream]::new()
            $part[0].Content.DecodeTo($decoded)
            [Convert]::ToBase64String($decoded.ToArray()) | Should -Be ([Convert]::ToBase64String([IO.File]::ReadAllBytes($path)))
        }
    }

    It 'writes a transcript without the password' {
        $text = Get-Content -Raw $transcript
        $text | Should -Match 'AUTH'
        $text | Should -Match 'STARTTLS'
        $text | Should -Not -Match ([regex]::Escape($Password))
        $plain = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0alice`0$Password"))
        $text | Should -Not -Match ([regex]::Escape($plain))
        $text | Should -Not -Match ([regex]::Escape([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Password))))
    }

    It 'has table and list views' {
        $table = $result | Format-Table | Out-String -Width 120
        $table | Should -Match 'Accepted\s+Rejected\s+Server'
        $list = $result | Format-List | Out-String -Width 120
        $list | Should -Match 'Accepted\s+: ops@contoso.test, cfo@contoso.test'
    }
}

Describe 'Send-SmtpMail: bulk from a pipeline' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (New-SinkFolder 'bulk')
        $recipients = Join-Path $Work 'recipients.csv'
        1..200 | ForEach-Object { [pscustomobject]@{ To = "user$_@contoso.test"; Subject = "Notice $_"; Body = "Hello user $_" } } |
            Export-Csv -Path $recipients -NoTypeInformation
        $results = Import-Csv $recipients | Send-SmtpMail -From 'noreply@contoso.test' -SmtpServer 127.0.0.1 -Port $sink.Port -PassThru
    }
    AfterAll { Stop-SmtpSink $sink }

    It 'sends one message per row with its own To, Subject and Body' {
        $results | Should -HaveCount 200
        $files = Get-SinkMessageFile $sink
        $files | Should -HaveCount 200
        $envelopes = Get-SinkEnvelope $sink
        ($envelopes | ForEach-Object { $_.recipients[0] } | Sort-Object -Unique) | Should -HaveCount 200
        $last = Read-Mime $files[199].FullName
        $last.Subject | Should -Be 'Notice 200'
        $last.TextBody.Trim() | Should -Be 'Hello user 200'
        $last.To.Mailboxes[0].Address | Should -Be 'user200@contoso.test'
    }

    It 'uses one SMTP connection for the whole pipeline' {
        Get-SinkSessionCount $sink | Should -Be 1
    }
}

Describe 'Send-SmtpMail: what is not sent' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (New-SinkFolder 'refused') -Reject 'gone@contoso.test'
        $common = @{ From = 'reports@contoso.test'; SmtpServer = '127.0.0.1'; Port = $sink.Port; ErrorAction = 'SilentlyContinue'; ErrorVariable = 'failure' }
    }
    AfterAll { Stop-SmtpSink $sink }

    It 'sends nothing under -WhatIf' {
        Send-SmtpMail -To 'ops@contoso.test' -Subject 'What if' @common -WhatIf
        Get-SinkMessageFile $sink | Should -HaveCount 0
        Get-SinkSessionCount $sink | Should -Be 0
    }

    It 'reports <Case> as <Id> (<Category>) before connecting' -ForEach @(
        @{ Case = 'an invalid address'; Id = 'InvalidMailAddress'; Category = 'InvalidArgument'; Target = 'not-an-address'; Arguments = @{ To = 'not-an-address'; Subject = 's' } }
        @{ Case = 'CR/LF in the subject'; Id = 'HeaderInjectionRefused'; Category = 'InvalidArgument'; Target = "Report`r`nBcc: victim@evil.test"; Arguments = @{ To = 'ops@contoso.test'; Subject = "Report`r`nBcc: victim@evil.test" } }
        @{ Case = 'CR/LF in a header'; Id = 'HeaderInjectionRefused'; Category = 'InvalidArgument'; Target = "x`nBcc: victim@evil.test"; Arguments = @{ To = 'ops@contoso.test'; Headers = @{ 'X-Tag' = "x`nBcc: victim@evil.test" } } }
        @{ Case = 'a reserved header'; Id = 'InvalidHeader'; Category = 'InvalidArgument'; Target = 'Bcc'; Arguments = @{ To = 'ops@contoso.test'; Headers = @{ Bcc = 'victim@evil.test' } } }
        # Resent-* would redirect the SMTP envelope in some clients; trace and authentication fields are the servers' and signers'.
        @{ Case = 'a Resent-* header'; Id = 'InvalidHeader'; Category = 'InvalidArgument'; Target = 'Resent-To'; Arguments = @{ To = 'ops@contoso.test'; Headers = @{ 'Resent-To' = 'x@evil.test' } } }
        @{ Case = 'a trace header'; Id = 'InvalidHeader'; Category = 'InvalidArgument'; Target = 'received'; Arguments = @{ To = 'ops@contoso.test'; Headers = @{ received = 'from mx.contoso.test' } } }
        @{ Case = 'an ARC header'; Id = 'InvalidHeader'; Category = 'InvalidArgument'; Target = 'ARC-Seal'; Arguments = @{ To = 'ops@contoso.test'; Headers = @{ 'ARC-Seal' = 'i=1; cv=none' } } }
        @{ Case = 'a missing attachment'; Id = 'AttachmentNotFound'; Category = 'ObjectNotFound'; Target = '/nonexistent/report.csv'; Arguments = @{ To = 'ops@contoso.test'; Attachments = '/nonexistent/report.csv' } }
        @{ Case = 'no recipient'; Id = 'MissingRecipient'; Category = 'InvalidArgument'; Target = $null; Arguments = @{ Cc = @(); Subject = 's' } }
    ) {
        Send-SmtpMail @Arguments @common
        $failure | Should -HaveCount 1
        $failure[0].FullyQualifiedErrorId | Should -Be "$Id,$CommandType"
        $failure[0].CategoryInfo.Category | Should -Be $Category
        $failure[0].TargetObject | Should -Be $Target
        # A CR/LF in the refused value must not break the category line in two.
        $failure[0].CategoryInfo.ToString() | Should -Not -Match "[`r`n]"
        Get-SinkSessionCount $sink | Should -Be 0
    }

    It 'reports a refused recipient as RecipientRejected while the others get the message' {
        $result = Send-SmtpMail -To 'ops@contoso.test', 'gone@contoso.test' -Subject 'Partial' @common -PassThru
        $failure | Should -HaveCount 1
        $failure[0].FullyQualifiedErrorId | Should -Be "RecipientRejected,$CommandType"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure[0].TargetObject | Should -Be 'gone@contoso.test'
        $failure[0].Exception.StatusCode | Should -Be 550
        $result.Accepted.Address | Should -Be 'ops@contoso.test'
        (Get-SinkEnvelope $sink)[-1].recipients | Should -Be @('ops@contoso.test')
    }

    It 'refuses to run without a server' {
        $PSEmailServer = $null
        { Send-SmtpMail -To 'ops@contoso.test' -From 'a@contoso.test' -Subject 's' -ErrorAction Stop } |
            Should -Throw -ErrorId "NoSmtpServer,$CommandType"
    }

    It 'uses $PSEmailServer as the default server' {
        $PSEmailServer = '127.0.0.1'
        $before = @(Get-SinkMessageFile $sink).Count
        Send-SmtpMail 'ops@contoso.test' 'Positional subject' 'Positional body' -From 'reports@contoso.test' -Port $sink.Port
        $files = Get-SinkMessageFile $sink
        $files | Should -HaveCount ($before + 1)
        (Read-Mime $files[-1].FullName).Subject | Should -Be 'Positional subject'
    }
}

Describe 'Send-SmtpMail: a server that cannot be reached' {
    BeforeAll {
        # A port nothing listens on: taken from the system, then released.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $script:ClosedPort = $listener.LocalEndpoint.Port; $listener.Stop()
    }

    It 'stops with SmtpConnectionFailed (ConnectionError), targets server:port and says it retried' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = { Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject 'Report' -SmtpServer '127.0.0.1' -Port $ClosedPort `
                -MaximumRetryCount 2 -RetryIntervalSec 1 -ErrorAction Stop } | Should -Throw -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        $err.FullyQualifiedErrorId | Should -Be "SmtpConnectionFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be "127.0.0.1:$ClosedPort"
        $err.CategoryInfo.TargetName | Should -Be "127.0.0.1:$ClosedPort"
        $err.ErrorDetails.Message | Should -Match "Cannot connect to 127\.0\.0\.1:$ClosedPort.* Tried 3 times over [3-9]\.\d s\."
        $err.ErrorDetails.RecommendedAction | Should -Match '-SmtpServer'
    }

    It 'says when it did not retry' {
        $err = { Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject 'Report' -SmtpServer '127.0.0.1' -Port $ClosedPort `
                -MaximumRetryCount 0 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "SmtpConnectionFailed,$CommandType"
        $err.ErrorDetails.Message | Should -Match 'Not retried \(-MaximumRetryCount 0\)\.$'
    }
}

Describe 'Send-SmtpMail: secure by default' {
    BeforeAll {
        $plain = Start-SmtpSink -Directory (New-SinkFolder 'plain') -User "alice:$Password" -AllowUnsecureAuth
        $tls = Start-SmtpSink -Directory (New-SinkFolder 'tls') -StartTls -User "alice:$Password"
        $message = @{ To = 'ops@contoso.test'; From = 'reports@contoso.test'; Subject = 's'; SmtpServer = '127.0.0.1' }
    }
    AfterAll { Stop-SmtpSink $plain; Stop-SmtpSink $tls }

    It 'never sends credentials without TLS (SmtpSecurityFailure)' {
        { Send-SmtpMail @message -Port $plain.Port -Credential $Credential -ErrorAction Stop } |
            Should -Throw -ErrorId "SmtpSecurityFailure,$CommandType"
        Get-SinkMessageFile $plain | Should -HaveCount 0
    }

    It 'sends credentials in clear only with -AllowUnencryptedAuthentication' {
        Send-SmtpMail @message -Port $plain.Port -Credential $Credential -AllowUnencryptedAuthentication
        (Get-SinkEnvelope $plain)[0].authenticatedUser | Should -Be 'alice'
    }

    It 'refuses an untrusted certificate (CertificateValidationFailed, SecurityError)' {
        $err = { Send-SmtpMail @message -Port $tls.Port -Credential $Credential -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.ErrorDetails.RecommendedAction | Should -Match 'CertificateThumbprint'
        Get-SinkMessageFile $tls | Should -HaveCount 0
    }

    It 'does not retry a wrong password (SmtpAuthenticationFailed, AuthenticationError)' {
        $wrong = [pscredential]::new('alice', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        $err = { Send-SmtpMail @message -Port $tls.Port -CertificateThumbprint $tls.Thumbprint -Credential $wrong -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "SmtpAuthenticationFailed,$CommandType"
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        Get-SinkSessionCount $tls | Should -Be 2
    }

    It 'maps -UseSsl to required STARTTLS like Send-MailMessage' {
        $result = Send-SmtpMail @message -Port $tls.Port -UseSsl -CertificateThumbprint $tls.Sha256 -Credential $Credential -PassThru
        $result.TlsProtocol | Should -Not -Be 'None'
    }
}

# Its help is checked with every other cmdlet's in Discoverability.Tests.ps1.
Describe 'Send-SmtpMail: completion and output type' {
    It 'completes -SmtpServer with known smarthosts' {
        $line = 'Send-SmtpMail -SmtpServer smtp.off'
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain 'smtp.office365.com'
    }

    It 'declares its output type and supports -WhatIf' {
        (Get-Command Send-SmtpMail).OutputType.Name | Should -Contain 'SmtpOps.Smtp.SmtpSendResult'
        (Get-Command Send-SmtpMail).Parameters.Keys | Should -Contain 'WhatIf'
    }
}
