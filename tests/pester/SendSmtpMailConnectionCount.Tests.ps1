#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail -ConnectionCount: a pipeline spread over several connections still gives one output per input, in input order.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-pester-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    # Every seventh row goes to the one address the sink refuses: that message fails, the pipeline goes on.
    function New-Row([int] $Count) {
        1..$Count | ForEach-Object {
            [pscustomobject]@{ To = $(if ($_ % 7 -eq 0) { 'gone@contoso.test' } else { "user$_@contoso.test" }); Subject = "Notice $_"; Body = "Hello $_" }
        }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail -ConnectionCount 4' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (Join-Path $Work 'sink') -Reject 'gone@contoso.test'
        $common = @{ From = 'noreply@contoso.test'; SmtpServer = '127.0.0.1'; Port = $sink.Port }
        # Results and errors in one stream, in the order the cmdlet wrote them.
        $output = @(New-Row 120 | Send-SmtpMail @common -ConnectionCount 4 -PassThru -ErrorAction Continue 2>&1)
    }
    AfterAll { Stop-SmtpSink $sink }

    It 'writes one output per input, results and errors in input order' {
        $output | Should -HaveCount 120
        $subjects = $output | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.TargetObject.Subject } else { $_.Subject } }
        $subjects | Should -Be @(1..120 | ForEach-Object { "Notice $_" })
    }

    It 'ties each error to its own message' {
        $errors = @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errors | Should -HaveCount 17
        foreach ($e in $errors) {
            $e.FullyQualifiedErrorId | Should -BeLike "*,$CommandType"
            $e.TargetObject.To | Should -Be @('gone@contoso.test')
            $e.CategoryInfo.TargetName | Should -Be "'$($e.TargetObject.Subject)'"
        }
    }

    It 'delivers every other message once, over more than one connection' {
        $files = Get-SinkMessageFile $sink
        $files | Should -HaveCount 103
        (Get-SinkEnvelope $sink | ForEach-Object { $_.recipients[0] } | Sort-Object -Unique) | Should -HaveCount 103
        Get-SinkSessionCount $sink | Should -BeGreaterThan 1
        Get-SinkSessionCount $sink | Should -BeLessOrEqual 4
    }
}

Describe 'Send-SmtpMail -ConnectionCount with -WhatIf' {
    BeforeAll { $sink = Start-SmtpSink -Directory (Join-Path $Work 'whatif') }
    AfterAll { Stop-SmtpSink $sink }

    It 'sends nothing and opens no connection' {
        New-Row 10 | Send-SmtpMail -From 'noreply@contoso.test' -SmtpServer 127.0.0.1 -Port $sink.Port -ConnectionCount 4 -WhatIf
        Get-SinkMessageFile $sink | Should -HaveCount 0
        Get-SinkSessionCount $sink | Should -Be 0
    }
}

Describe 'Send-SmtpMail -ConnectionCount with a server that cannot be reached' {
    It 'ends the pipeline with the connection failure, as with one connection' {
        # A port nothing listens on: taken from the system, then released.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        { New-Row 10 | Send-SmtpMail -From 'noreply@contoso.test' -SmtpServer 127.0.0.1 -Port $port -ConnectionCount 4 -MaximumRetryCount 0 -ErrorAction Stop } |
            Should -Throw -ErrorId "SmtpConnectionFailed,$CommandType"
    }
}
