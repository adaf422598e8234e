#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Resolve-MailExchanger in real pwsh, from the packaged module, against a real DNS server on 127.0.0.1.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/DnsServer.psm1') -Force

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-dns-pester-$([guid]::NewGuid().ToString('N'))"
    $script:CommandType = 'SmtpOps.PowerShell.Commands.ResolveMailExchangerCommand'
    function Record([string] $Name, [string] $Type, [string] $Value, [int] $Ttl = 300) { @{ name = $Name; type = $Type; value = $Value; ttl = $Ttl } }

    $records = @(
        Record contoso.test MX '10 mx1.contoso.test' 3600
        Record contoso.test MX '10 mx2.contoso.test' 3600
        Record contoso.test MX '20 backup.contoso.test' 3600
        Record mx1.contoso.test A 192.0.2.11
        Record mx1.contoso.test AAAA 2001:db8::11
        Record mx2.contoso.test A 192.0.2.12
        Record backup.contoso.test A 192.0.2.20
        Record implicit.test A 192.0.2.30 600
        Record nullmx.test MX '0 .' 86400
        Record cnamemx.test MX '10 mail.cnamemx.test'
        Record mail.cnamemx.test CNAME real.cnamemx.test
        Record real.cnamemx.test A 192.0.2.40
        Record noaddr.test MX '10 ghost.noaddr.test'
        Record policy.test MX '10 mx.policy.test'
        Record mx.policy.test A 192.0.2.60
        Record policy.test TXT 'v=spf1 mx -all'
        Record policy.test TXT 'v=spf1 a -all'
        Record _dmarc.policy.test TXT 'v=DMARC1; p=quarantine; rua=mailto:dmarc@policy.test'
        Record _mta-sts.policy.test TXT 'v=STSv1; id=2026a'
        Record _smtp._tls.policy.test TXT 'v=TLSRPTv1; rua=mailto:tlsrpt@policy.test'
        Record _25._tcp.mx.policy.test TLSA '3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6'
    )
    # Many domains for the bulk case.
    $script:BulkDomains = 1..300 | ForEach-Object { "d$_.bulk.test" }
    foreach ($i in 1..300) {
        $records += Record "d$i.bulk.test" MX "10 mx.d$i.bulk.test"
        $records += Record "mx.d$i.bulk.test" A "198.51.100.$($i % 250)"
    }
    # DMARC and TLS-RPT (issue 25): a subdomain without its own record under a parent that spares subdomains,
    # a report address outside the domain without its authorization record, TLS-RPT report URIs that are not allowed.
    $records += @(
        Record _dmarc.dmarcparent.test TXT 'v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@dmarcparent.test,mailto:agg@vendor.example'
        Record sub.dmarcparent.test MX '10 mx.dmarcparent.test'
        Record mx.dmarcparent.test A 192.0.2.91
        Record _smtp._tls.sub.dmarcparent.test TXT 'v=TLSRPTv1; rua=http://reports.dmarcparent.test/tls,mailto:tls@dmarcparent.test'
    )
    $zone = @{ records = $records; serverFailure = @('servfail.test'); refused = @('refused.test'); silent = @('silent.test'); authenticated = @('_25._tcp.mx.policy.test') }
    $script:Dns = Start-TestDnsServer -Zone $zone -Directory (Join-Path $Work 'dns')
    $script:Common = @{ Server = $Dns.Server; Timeout = 2 }
}

AfterAll {
    if ($script:Dns) { Stop-TestDnsServer $script:Dns }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Resolve-MailExchanger: delivery plans' {
    It 'lists several MX by preference with their addresses' {
        $plan = Resolve-MailExchanger contoso.test @Common -NoRandomize
        $plan | Should -HaveCount 3
        $plan[0].GetType().FullName | Should -Be 'SmtpOps.Dns.MailExchanger'
        $plan.Exchange | Should -Be @('mx1.contoso.test', 'mx2.contoso.test', 'backup.contoso.test')
        $plan.Preference | Should -Be @(10, 10, 20)
        $plan[0].Addresses.ForEach({ $_.ToString() }) | Should -Be @('192.0.2.11', '2001:db8::11')
        $plan.Domain | Sort-Object -Unique | Should -Be 'contoso.test'
        $plan.Ttl | Sort-Object -Unique | Should -Be 3600
        $plan.IsImplicit | Should -Not -Contain $true
        $plan.IsNullMx | Should -Not -Contain $true
    }

    It 'puts equal preferences in random order unless -NoRandomize' {
        $orders = 1..30 | ForEach-Object { (Resolve-MailExchanger contoso.test @Common).Exchange -join ',' } | Sort-Object -Unique
        $orders | Should -Be @('mx1.contoso.test,mx2.contoso.test,backup.contoso.test', 'mx2.contoso.test,mx1.contoso.test,backup.contoso.test')
        $stable = 1..10 | ForEach-Object { (Resolve-MailExchanger contoso.test @Common -NoRandomize).Exchange -join ',' } | Sort-Object -Unique
        $stable | Should -Be 'mx1.contoso.test,mx2.contoso.test,backup.contoso.test'
    }

    It 'uses the domain itself as an implicit MX when it has no MX' {
        $plan = Resolve-MailExchanger implicit.test @Common
        $plan | Should -HaveCount 1
        $plan.Exchange | Should -Be 'implicit.test'
        $plan.IsImplicit | Should -BeTrue
        $plan.Preference | Should -Be 0
        $plan.Ttl | Should -Be 600
        $plan.Addresses.ForEach({ $_.ToString() }) | Should -Be '192.0.2.30'
    }

    It 'reports a null MX as one object, not an error' {
        $plan = Resolve-MailExchanger nullmx.test @Common -ErrorVariable failure
        $failure | Should -HaveCount 0
        $plan | Should -HaveCount 1
        $plan.IsNullMx | Should -BeTrue
        $plan.Exchange | Should -Be '.'
        $plan.Addresses | Should -HaveCount 0
    }

    It 'flags an exchange that is a CNAME and one without an address' {
        $alias = Resolve-MailExchanger cnamemx.test @Common
        $alias.Addresses.ForEach({ $_.ToString() }) | Should -Be '192.0.2.40'
        $alias.Warnings | Should -Be 'The MX target mail.cnamemx.test is an alias (CNAME): RFC 2181 section 10.3 forbids that; some senders refuse it.'
        $missing = Resolve-MailExchanger noaddr.test @Common
        $missing.Addresses | Should -HaveCount 0
        $missing.Warnings | Should -Be 'The MX target ghost.noaddr.test does not exist (NXDOMAIN): senders skip it.'
    }

    It 'adds the mail-security records with -Policy' {
        $plan = Resolve-MailExchanger policy.test @Common -Policy
        $plan.Tlsa.IsAuthenticated | Should -BeTrue
        $plan.Tlsa.Records[0].ToString() | Should -BeLike '3 1 1 0c72ac70*'
        $plan.Policy.Dmarc.Policy | Should -Be 'quarantine'
        $plan.Policy.MtaSts.Id | Should -Be '2026a'
        $plan.Policy.MtaSts.FetchError | Should -Be 'unreachable: mta-sts.policy.test has no address'
        $plan.Policy.TlsReporting.ReportUris | Should -Be 'mailto:tlsrpt@policy.test'
        $plan.Policy.Spf | Should -BeNullOrEmpty
        $plan.Policy.Warnings | Should -Contain 'policy.test publishes 2 SPF records; receivers treat that as a permanent error (RFC 7208 section 4.5): v=spf1 mx -all | v=spf1 a -all'
        ($plan | Format-List | Out-String -Width 120) | Should -Match 'Dane\s+: 1 TLSA record\(s\) at _25._tcp.mx.policy.test, DNSSEC-authenticated'
    }

    It 'says which DMARC policy a subdomain inherits, and warns about report addresses and TLS-RPT URIs' {
        $plan = Resolve-MailExchanger sub.dmarcparent.test @Common -Policy -WarningVariable warned -WarningAction SilentlyContinue
        $dmarc = $plan.Policy.Dmarc
        $dmarc.IsFallback | Should -BeTrue
        $dmarc.Domain | Should -Be 'dmarcparent.test'
        $dmarc.AppliedPolicy | Should -Be 'none'
        $plan.Policy.TlsReporting.InvalidReportUris | Should -Be 'http://reports.dmarcparent.test/tls'
        $warned.Message | Should -Be @(
            'sub.dmarcparent.test: The TLS-RPT record of sub.dmarcparent.test lists rua=http://reports.dmarcparent.test/tls, a URI with the http scheme: only mailto: with an address and https: are allowed (RFC 8460 section 3); senders send no reports there.'
            'sub.dmarcparent.test: The DMARC record of dmarcparent.test sends aggregate reports (rua) to mailto:agg@vendor.example, outside its organizational domain dmarcparent.test, but vendor.example does not authorize them: no v=DMARC1 record at dmarcparent.test._report._dmarc.vendor.example (RFC 7489 section 7.1); receivers send those reports nowhere.'
        )
        $view = $plan | Format-List | Out-String -Width 250
        $view | Should -Match 'Dmarc\s+: v=DMARC1; p=reject; sp=none; .* \(at dmarcparent.test: fallback\)'
        $view | Should -Match 'DmarcVerdict\s+: none \(sp= of dmarcparent.test, its organizational domain; sub.dmarcparent.test publishes no DMARC record of its own\); reports not authorized by vendor.example'
        $view | Should -Match 'TlsRpt\s+: http://reports.dmarcparent.test/tls \(INVALID: RFC 8460 allows mailto: and https: only\), mailto:tls@dmarcparent.test'
    }
}

Describe 'Resolve-MailExchanger: errors' {
    It 'reports <Domain> as <Id> (<Category>) with the domain as target' -ForEach @(
        @{ Domain = 'missing.test'; Id = 'DomainNotFound'; Category = 'ObjectNotFound'; Temporary = $false }
        @{ Domain = 'servfail.test'; Id = 'DnsTemporaryFailure'; Category = 'ResourceUnavailable'; Temporary = $true }
        @{ Domain = 'refused.test'; Id = 'DnsTemporaryFailure'; Category = 'ResourceUnavailable'; Temporary = $true }
        @{ Domain = 'silent.test'; Id = 'DnsTimeout'; Category = 'OperationTimeout'; Temporary = $true }
    ) {
        $output = Resolve-MailExchanger $Domain -Server $Dns.Server -Timeout 1 -ErrorAction SilentlyContinue -ErrorVariable failure
        $output | Should -BeNullOrEmpty
        $failure | Should -HaveCount 1
        $failure[0].FullyQualifiedErrorId | Should -Be "$Id,$CommandType"
        $failure[0].CategoryInfo.Category | Should -Be $Category
        $failure[0].TargetObject | Should -Be $Domain
        $failure[0].Exception.IsTemporary | Should -Be $Temporary
        if ($Temporary) { $failure[0].Exception.Message | Should -Match 'temporary failure' }
    }

    It 'says that a timed-out query was resent and how long that took in all (DnsTimeout)' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Resolve-MailExchanger 'silent.test' -Server $Dns.Server -Timeout 1 -ErrorAction SilentlyContinue -ErrorVariable failure
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 15
        $failure[0].FullyQualifiedErrorId | Should -Be "DnsTimeout,$CommandType"
        $failure[0].Exception.Message | Should -Match 'sent 2 times \(resent 1 time\), 1 s each, 2 s in all'
    }

    It 'reports invalid input as InvalidDomain and goes on with the next domain' {
        $output = Resolve-MailExchanger 'not a domain', 'implicit.test' @Common -ErrorAction SilentlyContinue -ErrorVariable failure
        $failure | Should -HaveCount 1
        $failure[0].FullyQualifiedErrorId | Should -Be "InvalidDomain,$CommandType"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $output.Exchange | Should -Be 'implicit.test'
    }

    It 'refuses a -Server that is not an IP address (InvalidDnsServer)' {
        { Resolve-MailExchanger contoso.test -Server 'dns.example' -ErrorAction Stop } | Should -Throw -ErrorId "InvalidDnsServer,$CommandType"
    }
}

Describe 'Resolve-MailExchanger: pipeline' {
    It 'takes strings and e-mail addresses from the pipeline' {
        $plan = 'implicit.test', 'ops@nullmx.test' | Resolve-MailExchanger @Common
        $plan.Domain | Sort-Object | Should -Be @('implicit.test', 'nullmx.test')
    }

    It 'takes objects with a Domain or EmailAddress property' {
        $plan = [pscustomobject]@{ Domain = 'implicit.test' }, [pscustomobject]@{ EmailAddress = 'Ops <ops@nullmx.test>' } | Resolve-MailExchanger @Common
        $plan.Domain | Sort-Object | Should -Be @('implicit.test', 'nullmx.test')
        $fromMailAddress = [System.Net.Mail.MailAddress]::new('ann@implicit.test') | Resolve-MailExchanger @Common
        $fromMailAddress.Exchange | Should -Be 'implicit.test'
    }

    It 'resolves hundreds of domains from a file concurrently' {
        $file = Join-Path $Work 'domains.txt'
        $BulkDomains | Set-Content $file
        $plan = Get-Content $file | Resolve-MailExchanger @Common -ThrottleLimit 16 -ErrorVariable failure
        $failure | Should -HaveCount 0
        $plan | Should -HaveCount 300
        ($plan.Domain | Sort-Object) | Should -Be ($BulkDomains | Sort-Object)
        ($plan | Where-Object Domain -EQ 'd7.bulk.test').Exchange | Should -Be 'mx.d7.bulk.test'
    }

    It 'composes: output objects bind Exchange by property name to a -ComputerName that aliases it' {
        function Test-Target {
            param([Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('Exchange')] [string] $ComputerName)
            process { $ComputerName }
        }
        Resolve-MailExchanger contoso.test @Common -NoRandomize | Test-Target | Should -Be @('mx1.contoso.test', 'mx2.contoso.test', 'backup.contoso.test')
    }

    It 'has a table view that fits 120 columns and a list view' {
        $table = Resolve-MailExchanger contoso.test, implicit.test, nullmx.test @Common -NoRandomize | Sort-Object Domain, Preference | Format-Table | Out-String -Width 120
        $table | Should -Match 'Domain\s+Pref\s+Exchange\s+Addresses\s+Flags\s+Ttl\s+Warn'
        $table | Should -Match 'contoso.test\s+10 mx1.contoso.test\s+192.0.2.11, 2001:db8::11'
        $table | Should -Match 'nullmx.test\s+0 \.\s+null MX'
        $table | Should -Match 'implicit.test\s+0 implicit.test\s+192.0.2.30\s+implicit'
        ($table -split "`n" | Where-Object { $_.TrimEnd().Length -gt 120 }) | Should -BeNullOrEmpty
        $list = Resolve-MailExchanger implicit.test @Common | Format-List | Out-String -Width 120
        $list | Should -Match 'Warnings\s+: implicit.test has no MX records'
    }
}

# Its help is checked with every other cmdlet's in Discoverability.Tests.ps1.
Describe 'Resolve-MailExchanger: output type' {
    It 'declares its output type' {
        (Get-Command Resolve-MailExchanger).OutputType.Name | Should -Contain 'SmtpOps.Dns.MailExchanger'
    }
}
