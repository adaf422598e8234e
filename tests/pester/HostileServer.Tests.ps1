#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail and Test-SmtpServer, from the packaged module, against servers that attack the client (hostile-smtp) and
# with parameters that would inject SMTP commands; real servers on 127.0.0.1.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/TestServerProcess.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-hostile-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:SendType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
    $script:ProbeType = 'SmtpOps.PowerShell.Commands.TestSmtpServerCommand'
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail against a hostile server' {
    It '<Behaviour> ends in <Id> targeting server:port within -Timeout + 2 s (ConnectionCount <Connections>)' -ForEach @(
        @{ Behaviour = 'endless-greeting-line'; Id = 'SmtpProtocolError'; Connections = 1 }
        @{ Behaviour = 'endless-line-after-ehlo'; Id = 'SmtpProtocolError'; Connections = 1 }
        @{ Behaviour = 'huge-ehlo-reply'; Id = 'SmtpProtocolError'; Connections = 1 }
        @{ Behaviour = 'huge-ehlo-reply'; Id = 'SmtpProtocolError'; Connections = 2 }
        @{ Behaviour = 'dripped-greeting'; Id = 'SmtpTimeout'; Connections = 1 }
    ) {
        $server = Start-TestServerProcess -Command 'hostile-smtp' -Directory (Join-Path $Work "$Behaviour-$Connections") -Arguments @('--behaviour', $Behaviour)
        try {
            $port = [int]$server.Ready.port
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $err = { Send-SmtpMail -From 'a@contoso.test' -To 'b@contoso.test' -Subject 'hostile' -Body 'x' -SmtpServer 127.0.0.1 -Port $port `
                    -Security None -Timeout 3 -MaximumRetryCount 0 -ConnectionCount $Connections -ErrorAction Stop } | Should -Throw -PassThru
            $clock.Stop()
            $err.FullyQualifiedErrorId | Should -Be "$Id,$SendType"
            $err.TargetObject | Should -Be "127.0.0.1:$port"
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }
        finally { Stop-TestServerProcess $server.Process }
    }
}

Describe 'Test-SmtpServer against a hostile server' {
    It '<Behaviour> fails the banner or EHLO stage as <Failure> within -Timeout + 2 s' -ForEach @(
        @{ Behaviour = 'endless-greeting-line'; Failure = 'ProtocolViolation' }
        @{ Behaviour = 'huge-ehlo-reply'; Failure = 'ProtocolViolation' }
        @{ Behaviour = 'dripped-greeting'; Failure = 'Timeout' }
    ) {
        $server = Start-TestServerProcess -Command 'hostile-smtp' -Directory (Join-Path $Work "probe-$Behaviour") -Arguments @('--behaviour', $Behaviour)
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port ([int]$server.Ready.port) -Security None -Timeout 3 -ErrorAction SilentlyContinue
            $clock.Stop()
            $result.Failure | Should -Be $Failure
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }
        finally { Stop-TestServerProcess $server.Process }
    }
}

Describe 'No CR, LF or NUL reaches the wire from a parameter' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (Join-Path $Work 'sink')
        $script:Evil = 'RCPT TO:<injected@evil.test>'
    }
    AfterAll { Stop-SmtpSink $sink }

    # Every parameter whose value goes into an SMTP command or a header as given. Addresses are parsed (an address with a
    # line break is not an address); the others are refused as injection. Credentials go out Base64-encoded (AUTH), bodies
    # as message data (line ends normalised to CRLF, dot-stuffed).
    It 'Send-SmtpMail -<Parameter> with <Name> is refused before connecting' -ForEach @(
        foreach ($break in @(@{ Name = 'CRLF'; Text = "`r`n" }, @{ Name = 'CR'; Text = "`r" }, @{ Name = 'LF'; Text = "`n" }, @{ Name = 'NUL'; Text = "`0" })) {
            @{ Parameter = 'HeloName'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused') }
            @{ Parameter = 'From'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused', 'InvalidMailAddress') }
            @{ Parameter = 'To'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused', 'InvalidMailAddress') }
            @{ Parameter = 'Cc'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused', 'InvalidMailAddress') }
            @{ Parameter = 'Bcc'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused', 'InvalidMailAddress') }
            @{ Parameter = 'ReplyTo'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused', 'InvalidMailAddress') }
            @{ Parameter = 'Subject'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused') }
            @{ Parameter = 'Headers'; Name = $break.Name; Break = $break.Text; Ids = @('HeaderInjectionRefused') }
        }
    ) {
        $value = "x@contoso.test>$Break$Evil"
        $arguments = @{ From = 'a@contoso.test'; To = 'b@contoso.test'; Subject = 's'; Body = 'x'; SmtpServer = '127.0.0.1'; Port = $sink.Port; Security = 'None' }
        $arguments[$Parameter] = if ($Parameter -eq 'Headers') { @{ 'X-Tag' = $value } } else { $value }
        $sessions = Get-SinkSessionCount $sink
        $failure = $null
        try { Send-SmtpMail @arguments -ErrorAction SilentlyContinue -ErrorVariable failure } catch { $failure = @($_) }
        $failure | Should -Not -BeNullOrEmpty
        ($failure[0].FullyQualifiedErrorId -split ',')[0] | Should -BeIn $Ids
        Get-SinkSessionCount $sink | Should -Be $sessions
    }

    It 'Test-SmtpServer -<Parameter> with <Name> is refused before connecting' -ForEach @(
        foreach ($break in @(@{ Name = 'CRLF'; Text = "`r`n" }, @{ Name = 'CR'; Text = "`r" }, @{ Name = 'LF'; Text = "`n" }, @{ Name = 'NUL'; Text = "`0" })) {
            @{ Parameter = 'HeloName'; Name = $break.Name; Break = $break.Text }
            @{ Parameter = 'From'; Name = $break.Name; Break = $break.Text }
            @{ Parameter = 'To'; Name = $break.Name; Break = $break.Text }
        }
    ) {
        $arguments = @{ ComputerName = 'localhost'; IPAddress = '127.0.0.1'; Port = $sink.Port; Security = 'None'; To = 'b@contoso.test' }
        $arguments[$Parameter] = "x@contoso.test>$Break$Evil"
        $sessions = Get-SinkSessionCount $sink
        $err = { Test-SmtpServer @arguments -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "HeaderInjectionRefused,$ProbeType"
        $err.Exception.Message | Should -Match "^$Parameter contains a line break or NUL character"
        Get-SinkSessionCount $sink | Should -Be $sessions
    }
}
