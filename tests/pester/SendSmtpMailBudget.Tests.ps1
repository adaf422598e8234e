#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail -BudgetLimit / -Budget: a pipeline paces itself. Which message went in which window is read from the
# sink's own clock (each .eml file's write time); a small budget keeps the test short.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-pester-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Window = [timespan]::FromSeconds(2)
    function New-Row([int] $Count) {
        1..$Count | ForEach-Object { [pscustomobject]@{ To = "user$_@contoso.test"; Subject = "Report $_"; Body = "Row $_" } }
    }
    # The most arrivals any window of the sink's clock holds (two pointers over the sorted times).
    function Get-MostInAnyWindow($Sink, [timespan] $Window) {
        $times = @(Get-SinkMessageFile $Sink | ForEach-Object { $_.LastWriteTimeUtc.Ticks } | Sort-Object)
        $most = 0; $first = 0
        for ($last = 0; $last -lt $times.Count; $last++) {
            while ($times[$last] - $times[$first] -ge $Window.Ticks) { $first++ }
            $most = [Math]::Max($most, $last - $first + 1)
        }
        $most
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail -BudgetLimit over one connection' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (Join-Path $Work 'one')
        $output = @(New-Row 9 | Send-SmtpMail -From 'reports@contoso.test' -SmtpServer 127.0.0.1 -Port $sink.Port -BudgetLimit '3 messages per 00:00:02' -PassThru)
    }
    AfterAll { Stop-SmtpSink $sink }

    It 'sends every message once' {
        $output | Should -HaveCount 9
        Get-SinkMessageFile $sink | Should -HaveCount 9
    }

    It 'never puts more than the budget into any window of the server''s clock' {
        Get-MostInAnyWindow $sink $Window | Should -BeLessOrEqual 3
    }
}

Describe 'Send-SmtpMail -BudgetLimit over a pool of connections' {
    BeforeAll {
        $sink = Start-SmtpSink -Directory (Join-Path $Work 'pool')
        $output = @(New-Row 9 | Send-SmtpMail -From 'reports@contoso.test' -SmtpServer 127.0.0.1 -Port $sink.Port -ConnectionCount 3 -Budget Smarthost -BudgetLimit '3 messages per 00:00:02' -PassThru)
    }
    AfterAll { Stop-SmtpSink $sink }

    It 'sends every message once, results in input order' {
        $output.Subject | Should -Be @(1..9 | ForEach-Object { "Report $_" })
        Get-SinkMessageFile $sink | Should -HaveCount 9
    }

    It 'never puts more than the budget into any window of the server''s clock' {
        Get-MostInAnyWindow $sink $Window | Should -BeLessOrEqual 3
    }
}

Describe 'Send-SmtpMail budget parameters' {
    It 'refuses a limit it cannot read, naming the form it expects' {
        { Send-SmtpMail -From 'reports@contoso.test' -To 'a@contoso.test' -Subject s -SmtpServer 127.0.0.1 -Port 1 -BudgetLimit 'lots per day' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidBudgetLimit,SmtpOps.PowerShell.Commands.SendSmtpMailCommand' -ExpectedMessage "*'30 messages per minute'*"
    }

    It 'offers the routes'' budgets by name' {
        (Get-Command Send-SmtpMail).Parameters['Budget'].Attributes.ValidValues | Should -Be @('ExchangeOnline', 'Graph', 'Acs', 'Smarthost', 'Unlimited')
    }
}
