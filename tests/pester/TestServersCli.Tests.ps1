#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The test-server CLI (tests/SmtpOps.TestServers) that the rig and the demo start: --help, and one usage block on a mistake.

BeforeAll {
    $script:Server = $env:SMTPOPS_TESTSERVER
    function Invoke-TestServer([string[]] $Arguments) {
        $out = & dotnet $script:Server @Arguments 2>$null
        $code = $LASTEXITCODE
        $err = & dotnet $script:Server @Arguments 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$_" }
        [pscustomobject]@{ Out = @($out); Err = @($err); ExitCode = $code }
    }
}

Describe 'SmtpOps.TestServers command line' {
    It '--help prints every command once on stdout and succeeds' {
        $result = Invoke-TestServer @('--help')
        $result.ExitCode | Should -Be 0
        $usage = @($result.Out | Where-Object { $_ -match '^usage: ' })
        $usage | Should -HaveCount 6
        ($usage -join "`n") | Should -Match 'smtp-sink' -Because 'each command has its usage line'
        ($usage -join "`n") | Should -Match 'scripted-smtp'
        ($usage -join "`n") | Should -Match 'dns-server'
        ($usage -join "`n") | Should -Match 'test-trust'
        ($usage -join "`n") | Should -Match 'graph'
        ($usage -join "`n") | Should -Match 'latency-proxy'
        $result.Err | Should -BeNullOrEmpty
    }

    It '<Command> --help prints that command alone' -ForEach @(
        @{ Command = 'smtp-sink' }, @{ Command = 'scripted-smtp' }, @{ Command = 'dns-server' }, @{ Command = 'test-trust' }, @{ Command = 'graph' }, @{ Command = 'latency-proxy' }
    ) {
        $result = Invoke-TestServer @($Command, '--help')
        $result.ExitCode | Should -Be 0
        $usage = @($result.Out | Where-Object { $_ -match '^usage: ' })
        $usage | Should -HaveCount 1
        $usage[0] | Should -Match "^usage: SmtpOps\.TestServers $Command "
    }

    It 'a mistake gets the error and one usage block on stderr, exit code 2' {
        $result = Invoke-TestServer @('smtp-sink', '--no-such-option')
        $result.ExitCode | Should -Be 2
        $result.Err[0] | Should -Be 'Unknown argument: --no-such-option'
        @($result.Err | Where-Object { $_ -match '^usage: ' }) | Should -HaveCount 1
    }
}
