#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Test-SmtpServer in real pwsh, from the packaged module, against real SMTP and DNS servers on 127.0.0.1.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/DnsServer.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-probe-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:CommandType = 'SmtpOps.PowerShell.Commands.TestSmtpServerCommand'
    function Start-Server([string] $Name, [string[]] $Arguments) { Start-ScriptedSmtpServer -Directory (Join-Path $script:Work $Name) -Arguments $Arguments }
    function Get-Check($Result, [string] $Name) { $Result.Checks | Where-Object Name -eq $Name }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Test-SmtpServer: a healthy server' {
    BeforeAll {
        # crl-good: the leaf names a CRL distribution point that the server's process serves, so revocation is checked too.
        $server = Start-Server 'healthy' @('--starttls', '--cert-kind', 'crl-good', '--accepted-domain', 'contoso.test')
        # A relative path resolves against the PowerShell location, as for any cmdlet.
        Push-Location (Split-Path $server.CaCertificatePath)
        try {
            $result = Test-SmtpServer -ComputerName localhost -IPAddress 127.0.0.1 -Port $server.Port `
                -TrustedRootCertificate (Split-Path $server.CaCertificatePath -Leaf) -TestOpenRelay -To postmaster@contoso.test `
                -CertificateWarningDays 7
        }
        finally { Pop-Location }
    }
    AfterAll { Stop-SmtpSink $server }

    It 'passes every check' {
        $result.GetType().FullName | Should -Be 'SmtpOps.Probing.SmtpProbeResult'
        $result.Checks | Where-Object Verdict -ne 'Pass' | Should -BeNullOrEmpty
        $result.Verdict | Should -Be 'Pass'
        $result.TlsMode | Should -Be 'StartTls'
        $result.Certificate.ChainValid | Should -BeTrue
        $result.Certificate.Revocation | Should -Be 'Good'
        (Get-Check $result 'TLS policy').Reason | Should -Match '^would send: trusted'
        $result.OpenRelay | Should -BeFalse
        $result.RecipientReply.Code | Should -Be 250
    }

    It 'shows a table that fits 120 columns and a list with every check' {
        $table = $result | Format-Table | Out-String -Width 120
        $table | Should -Match 'ComputerName\s+Address\s+Port\s+Verdict\s+Tls\s+Days\s+Ms\s+Findings'
        ($table -split "`n" | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 120
        $list = $result | Format-List | Out-String -Width 120
        $list | Should -Match 'Pass Open relay: refused a foreign recipient'
        ($result.Checks | Format-Table | Out-String) | Should -Match 'Verdict\s+Name\s+Reason'
    }
}

Describe 'Test-SmtpServer: findings and errors' {
    It 'fails an expired certificate where TLS is required, and only warns where it is opportunistic' {
        $server = Start-Server 'expired' @('--starttls', '--cert-kind', 'expired')
        try {
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath -Security StartTls
            (Get-Check $result 'Certificate expiry').Verdict | Should -Be 'Fail'
            (Get-Check $result 'Certificate expiry').Reason | Should -Match '^expired on '
            $opportunistic = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath
            (Get-Check $opportunistic 'Certificate expiry').Verdict | Should -Be 'Warn'
            (Get-Check $opportunistic 'TLS policy').Reason | Should -Match '^would send encrypted but unvalidated'
        }
        finally { Stop-SmtpSink $server }
    }

    It 'reports <Case> as <Id> (<Category>) after the result, within the timeout' -ForEach @(
        @{ Case = 'a tarpit'; Arguments = @('--tarpit'); Id = 'SmtpProbeTimeout'; Category = 'OperationTimeout'; Check = 'Banner' }
        @{ Case = 'a 554 banner'; Arguments = @('--banner-code', '554', '--banner-text', 'No SMTP service here'); Id = 'SmtpServiceRefused'; Category = 'ResourceUnavailable'; Check = 'Banner' }
        @{ Case = 'garbage'; Arguments = @('--garbage'); Id = 'SmtpProtocolViolation'; Category = 'ProtocolError'; Check = 'Banner' }
    ) {
        $server = Start-Server ($Case -replace ' ', '-') $Arguments
        try {
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable failure
            $result.Verdict | Should -Be 'Fail'
            (Get-Check $result $Check).Verdict | Should -Be 'Fail'
            $failure | Should -HaveCount 1
            $failure[0].FullyQualifiedErrorId | Should -Be "$Id,$CommandType"
            $failure[0].CategoryInfo.Category | Should -Be $Category
            $failure[0].TargetObject | Should -Be "localhost:$($server.Port)"
        }
        finally { Stop-SmtpSink $server }
    }

    It 'reports a closed port as SmtpServerUnreachable (ConnectionError)' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $result = Test-SmtpServer 127.0.0.1 -Port $port -ErrorAction SilentlyContinue -ErrorVariable failure
        $result.Connected | Should -BeFalse
        $failure[0].FullyQualifiedErrorId | Should -Be "SmtpServerUnreachable,$CommandType"
        $failure[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'resolves the name itself for -AllAddresses, within -Timeout, and probes each address' {
        # The cmdlet's own lookup (bounded by -Timeout, given up at Ctrl+C) on a name the hosts file answers.
        # Its timeout path needs a resolver that answers slowly, which this machine does not have: not tested here.
        $server = Start-Server 'all-addresses'
        try {
            $expected = @([System.Net.Dns]::GetHostAddresses('localhost') | ForEach-Object { $_.ToString() } | Sort-Object)
            $results = @(Test-SmtpServer localhost -AllAddresses -Port $server.Port -Timeout 5 -ErrorAction SilentlyContinue)
            @($results.IPAddress | Sort-Object) | Should -Be $expected
            ($results | Where-Object IPAddress -eq '127.0.0.1').Connected | Should -BeTrue
        }
        finally { Stop-SmtpSink $server }
    }

    It 'finds an open relay and AUTH offered before TLS' {
        $server = Start-Server 'open' @('--starttls', '--user', 'alice:pw', '--auth-before-tls')
        try {
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TestOpenRelay
            (Get-Check $result 'Open relay').Verdict | Should -Be 'Fail'
            (Get-Check $result 'AUTH before TLS').Verdict | Should -Be 'Fail'
        }
        finally { Stop-SmtpSink $server }
    }
}

Describe 'Test-SmtpServer: composition with Resolve-MailExchanger' {
    BeforeAll {
        $server = Start-Server 'mx' @('--starttls', '--cert-kind', 'valid')
        $dns = Start-TestDnsServer -Directory (Join-Path $Work 'dns') -Zone @{
            records = @(
                @{ name = 'contoso.test'; type = 'MX'; value = '10 mx1.contoso.test'; ttl = 300 }
                @{ name = 'contoso.test'; type = 'MX'; value = '20 mx2.contoso.test'; ttl = 300 }
                @{ name = 'mx1.contoso.test'; type = 'A'; value = '127.0.0.1'; ttl = 300 }
                @{ name = 'mx2.contoso.test'; type = 'A'; value = '127.0.0.1'; ttl = 300 }
                @{ name = 'nullmx.test'; type = 'MX'; value = '0 .'; ttl = 300 }
            )
        }
    }
    AfterAll { Stop-SmtpSink $server; Stop-TestDnsServer $dns }

    It 'probes every exchange of a domain at the address DNS gave' {
        $results = Resolve-MailExchanger contoso.test -Server $dns.Server -NoRandomize |
            Test-SmtpServer -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath
        $results | Should -HaveCount 2
        ($results.ComputerName | Sort-Object) | Should -Be @('mx1.contoso.test', 'mx2.contoso.test')
        $results.IPAddress | Should -Be @('127.0.0.1', '127.0.0.1')
        $results | ForEach-Object { $_.Connected | Should -BeTrue }
        # The certificate names localhost, not the exchanges: the probe says so. Without credentials on a port other than
        # 465 TLS is opportunistic (a sending MTA would still encrypt), so it is a warning, not a failure.
        $results | ForEach-Object { (Get-Check $_ 'Certificate name').Verdict | Should -Be 'Warn' }
        $results | ForEach-Object { (Get-Check $_ 'Certificate name').Reason | Should -Match 'used unvalidated' }
    }

    It 'skips a null MX with a warning' {
        $results = Resolve-MailExchanger nullmx.test -Server $dns.Server | Test-SmtpServer -Port $server.Port -WarningVariable warned -WarningAction SilentlyContinue
        $results | Should -BeNullOrEmpty
        $warned | Should -Match 'null MX'
    }
}

# Its help is checked with every other cmdlet's in Discoverability.Tests.ps1.
Describe 'Test-SmtpServer: output type' {
    It 'declares its output type' {
        (Get-Command Test-SmtpServer).OutputType.Name | Should -Contain 'SmtpOps.Probing.SmtpProbeResult'
    }
}

Describe 'Test-SmtpServer: TLS versions, weak cipher suites and CN-only certificates (a BouncyCastle server)' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot '../rig/TestServerProcess.psm1') -Force
        # legacy-tls-smtp: STARTTLS by BouncyCastle, offering what this machine's OpenSSL refuses (TLS 1.0/1.1, aNULL, NULL).
        function Start-LegacyServer([string] $Name, [string[]] $Arguments) {
            $started = Start-TestServerProcess -Command 'legacy-tls-smtp' -Directory (Join-Path $script:Work $Name) -Arguments $Arguments -ServerPath $env:SMTPOPS_TESTSERVER
            [pscustomobject]@{ Port = [int]$started.Ready.port; CaCertificatePath = $started.Ready.caCertificatePath; Process = $started.Process }
        }
    }

    It 'shows the deprecated versions and the weak suites of a weak server, and why this machine cannot talk to it' {
        $server = Start-LegacyServer 'weak-tls' @('--profile', 'weak')
        try {
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath -ErrorAction SilentlyContinue
            $result.Checks | Out-String -Width 250 | Write-Host
            (Get-Check $result 'TLS versions').Verdict | Should -Be 'Warn'
            (Get-Check $result 'TLS versions').Reason | Should -Match '^offered: TLS 1\.0, TLS 1\.1, TLS 1\.2; TLS 1\.0 and TLS 1\.1 deprecated by RFC 8996'
            (Get-Check $result 'Cipher suites').Verdict | Should -Be 'Fail'
            (Get-Check $result 'Cipher suites').Reason | Should -Match 'anonymous suites offered .*: TLS_DH_anon_WITH_AES_128_CBC_SHA'
            (Get-Check $result 'Cipher suites').Reason | Should -Match 'no forward secrecy.*CBC only'
            (Get-Check $result 'STARTTLS').Reason | Should -Match 'cause: the server offers no forward-secret suite'
            @($result.CipherClasses | Where-Object Status -eq 'Offered' | ForEach-Object Name) | Should -Be @('Anonymous', 'NULL')
            ($result | Format-List | Out-String -Width 200) | Should -Match 'TlsOffered\s+: TLS 1\.0, TLS 1\.1, TLS 1\.2, Anonymous, NULL'
            $result.Timings.TlsScan | Should -Not -BeNullOrEmpty
        }
        finally { Stop-SmtpSink $server }
    }

    It 'warns about a certificate that names the host in its CN only (RFC 9525)' {
        $server = Start-LegacyServer 'cn-only' @('--profile', 'modern', '--cn-only')
        try {
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath -SkipTlsScan
            (Get-Check $result 'Certificate name').Verdict | Should -Be 'Warn'
            (Get-Check $result 'Certificate name').Reason | Should -Match 'no subjectAltName.*RFC 9525'
            $result.Certificate.SubjectAlternativeNames | Should -BeNullOrEmpty
        }
        finally { Stop-SmtpSink $server }
    }

    It 'names the cause when a server speaks only TLS 1.0, and -SkipTlsScan leaves the scan out' {
        $server = Start-LegacyServer 'tls10-only' @('--profile', 'tls10-only')
        try {
            $result = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath -ErrorAction SilentlyContinue
            (Get-Check $result 'STARTTLS').Verdict | Should -Be 'Fail'
            (Get-Check $result 'STARTTLS').Reason | Should -Match "cause: the server offers only TLS 1\.0 \(deprecated by RFC 8996\), which this machine's TLS library refuses"
            $skipped = Test-SmtpServer localhost -IPAddress 127.0.0.1 -Port $server.Port -TrustedRootCertificate $server.CaCertificatePath -SkipTlsScan -ErrorAction SilentlyContinue
            $skipped.TlsVersions | Should -BeNullOrEmpty
            (Get-Check $skipped 'STARTTLS').Reason | Should -Not -Match 'cause:'
        }
        finally { Stop-SmtpSink $server }
    }
}
