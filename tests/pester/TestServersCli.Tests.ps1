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
        $usage | Should -HaveCount 9
        ($usage -join "`n") | Should -Match 'smtp-sink' -Because 'each command has its usage line'
        ($usage -join "`n") | Should -Match 'scripted-smtp'
        ($usage -join "`n") | Should -Match 'dns-server'
        ($usage -join "`n") | Should -Match 'test-trust'
        ($usage -join "`n") | Should -Match 'graph'
        ($usage -join "`n") | Should -Match 'acs'
        ($usage -join "`n") | Should -Match 'latency-proxy'
        ($usage -join "`n") | Should -Match 'hostile-smtp'
        ($usage -join "`n") | Should -Match 'legacy-tls-smtp'
        $result.Err | Should -BeNullOrEmpty
    }

    It '<Command> --help prints that command alone' -ForEach @(
        @{ Command = 'smtp-sink' }, @{ Command = 'scripted-smtp' }, @{ Command = 'dns-server' }, @{ Command = 'test-trust' }, @{ Command = 'graph' }, @{ Command = 'acs' }, @{ Command = 'latency-proxy' }, @{ Command = 'hostile-smtp' }, @{ Command = 'legacy-tls-smtp' }
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

    # Every command reads its arguments the same way (CommandLineArguments): the same errors, with that command's usage.
    It '<Command> <Arguments> is a usage error: "<Message>"' -ForEach @(
        @{ Command = 'scripted-smtp'; Arguments = @('--ready-file', 'r.json', '--no-such-option'); Message = 'Unknown argument: --no-such-option' }
        @{ Command = 'dns-server'; Arguments = @('--zone', 'z.json', 'stray'); Message = 'Unknown argument: stray' }
        @{ Command = 'graph'; Arguments = @('--dir', 'mail', '--port'); Message = '--port needs a value.' }
        @{ Command = 'latency-proxy'; Arguments = @('--target-port', '70000', '--delay-ms', '10'); Message = "--target-port takes a port from 0 to 65535, not '70000'." }
        @{ Command = 'latency-proxy'; Arguments = @('--delay-ms', '10'); Message = '--target-port is required.' }
        @{ Command = 'graph'; Arguments = @('--dir', 'mail', '--throttle', '2:soon'); Message = "--throttle takes a non-negative number, not 'soon'." }
        @{ Command = 'smtp-sink'; Arguments = @('--dir', 'mail', '--user', 'nobody'); Message = '--user takes NAME:PASSWORD.' }
        @{ Command = 'scripted-smtp'; Arguments = @('--ready-file', 'r.json', '--starttls', '--cert-kind', 'stolen'); Message = "--cert-kind is valid, expired, mismatch, self-signed, revoked, crl-good or crl-unreachable, not 'stolen'." }
        @{ Command = 'test-trust'; Arguments = @('--out', 'ca', '--force'); Message = 'Unknown argument: --force' }
        @{ Command = 'test-trust'; Arguments = @(); Message = '--out is required.' }
    ) {
        $result = Invoke-TestServer (@($Command) + $Arguments)
        $result.ExitCode | Should -Be 2
        $result.Err[0] | Should -Be $Message
        $usage = @($result.Err | Where-Object { $_ -match '^usage: ' })
        $usage | Should -HaveCount 1
        $usage[0] | Should -Match "^usage: SmtpOps\.TestServers $Command "
        $result.Out | Should -BeNullOrEmpty -Because 'nothing started'
    }

    It 'an unknown command gets the list of commands and every usage on stderr, exit code 2' {
        $result = Invoke-TestServer @('smtp-source', '--dir', 'mail')
        $result.ExitCode | Should -Be 2
        $result.Err[0] | Should -Be 'The first argument must be the command: smtp-sink, scripted-smtp, test-trust, dns-server, graph, acs, latency-proxy, hostile-smtp, legacy-tls-smtp.'
        @($result.Err | Where-Object { $_ -match '^usage: ' }) | Should -HaveCount 9
    }
}
