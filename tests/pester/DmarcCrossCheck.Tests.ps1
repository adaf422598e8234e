#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Resolve-MailExchanger -Policy beside Mail::DMARC (Debian libmail-dmarc-perl 1.2021, an RFC 7489 implementation)
# on the same records served by the test DNS server. They agree on the fallback to the organizational domain, on
# external report authorization and on most tag values; the differences are asserted too, so that a change on
# either side is seen. checkdmarc is not installable here (PyPI is not reachable).

BeforeDiscovery {
    # Outside CI a machine without the package skips these tests; in CI that is a failure (BeforeAll throws).
    $HasMailDmarc = (Test-Path /usr/bin/perl) -and ($(& /usr/bin/perl -MMail::DMARC::PurePerl -e 1 2>$null; $LASTEXITCODE) -eq 0)
}

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/DnsServer.psm1') -Force

    $script:Perl = '/usr/bin/perl'
    $script:Checker = Join-Path $PSScriptRoot '../rig/MailDmarcCheck.pl'
    $script:HasMailDmarc = (Test-Path $Perl) -and ($(& $Perl -MMail::DMARC::PurePerl -e 1 2>$null; $LASTEXITCODE) -eq 0)
    if (-not $HasMailDmarc -and $env:CI -eq 'true') { throw 'Mail::DMARC is missing: install libmail-dmarc-perl (tests/rig/debian-packages.txt).' }

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-dmarc-pester-$([guid]::NewGuid().ToString('N'))"
    function Record([string] $Name, [string] $Type, [string] $Value) { @{ name = $Name; type = $Type; value = $Value; ttl = 300 } }
    # Mail::DMARC wants names under a public suffix it knows: .com here, served only by the local test server.
    $zone = @{ records = @(
            Record _dmarc.fallback-xc.com TXT 'v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@fallback-xc.com'
            Record sub.fallback-xc.com A 192.0.2.80
            Record ext-xc.com A 192.0.2.88
            Record _dmarc.ext-xc.com TXT 'v=DMARC1; p=reject; rua=mailto:dmarc@reports.ext-xc.com,mailto:agg@vendor-xc.net!10m; ruf=mailto:fail@unauthorized-xc.net'
            Record ext-xc.com._report._dmarc.vendor-xc.net TXT 'v=DMARC1'
        ) }
    # One domain per tag value, its own addresses inside it ({d}): Mail::DMARC judges the value, ours the record.
    $script:SameVerdict = 'sp=deny', 'pct=150', 'pct=-1', 'adkim=x', 'aspf=relaxed', 'fo=2', 'fo=1:d', 'ri=1d', 'rua=mailto:dmarc@{d}!10q',
        'rua=dmarc@{d}', 'ruf=ftp://reports.{d}', 'rua=mailto:d@{d}!', 'rua=mailto:a@{d}!10m', 'ruf=mailto:f@{d}!500k'
    # fo=0:0 repeats an option (DMARCbis: each at most once); rf=iodef is not registered (only afrf, RFC 7489
    # section 6.3); mailto:dmarc has no domain to deliver to. Mail::DMARC accepts all three.
    $script:OursStricter = 'fo=0:0', 'rf=iodef', 'rua=mailto:dmarc'
    $script:TagDomains = [ordered]@{}
    $i = 0
    foreach ($tag in $SameVerdict + $OursStricter) {
        $domain = "t$((++$i))-xc.com"
        $TagDomains[$tag] = $domain
        $zone.records += Record $domain A 192.0.2.99
        $zone.records += Record "_dmarc.$domain" TXT "v=DMARC1; p=none; $($tag.Replace('{d}', $domain))"
    }
    $script:Dns = Start-TestDnsServer -Zone $zone -Directory (Join-Path $Work 'dns')
    function Invoke-MailDmarc([string[]] $Arguments) {
        $json = & $Perl $Checker $Dns.Port @Arguments
        if ($LASTEXITCODE -ne 0) { throw "MailDmarcCheck.pl failed ($LASTEXITCODE)." }
        $json | ConvertFrom-Json -AsHashtable
    }
    function Get-Dmarc([string] $Domain) {
        (Resolve-MailExchanger $Domain -Server $Dns.Server -Timeout 2 -Policy -WarningAction SilentlyContinue)[0].Policy.Dmarc
    }
}

AfterAll {
    if ($script:Dns) { Stop-TestDnsServer $script:Dns }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'DMARC beside Mail::DMARC' -Skip:(-not $HasMailDmarc) {
    It 'both fall back to the organizational domain for a subdomain without a record, and apply sp' {
        $theirs = (Invoke-MailDmarc 'from:sub.fallback-xc.com')['from:sub.fallback-xc.com']
        $ours = Get-Dmarc sub.fallback-xc.com
        $theirs.domain | Should -Be 'fallback-xc.com'
        $ours.Domain | Should -Be $theirs.domain
        $ours.IsFallback | Should -BeTrue
        $ours.AppliedPolicy | Should -Be $theirs.sp
    }

    It 'both authorize the same external report addresses (RFC 7489 section 7.1)' {
        $uris = 'mailto:dmarc@reports.ext-xc.com', 'mailto:agg@vendor-xc.net', 'mailto:fail@unauthorized-xc.net'
        $theirs = Invoke-MailDmarc ($uris | ForEach-Object { "uri:ext-xc.com:$_" })
        $ours = (Get-Dmarc ext-xc.com).ReportDestinations
        foreach ($uri in $uris) {
            $destination = $ours | Where-Object Uri -eq $uri
            # Ours: internal (not external) or authorized means reports go there.
            ((-not $destination.IsExternal) -or $destination.IsAuthorized -eq $true) | Should -Be $theirs["uri:ext-xc.com:$uri"] -Because $uri
        }
    }

    It 'both judge tag values alike, except where DMARCbis or the address syntax is stricter' {
        $theirs = Invoke-MailDmarc ($TagDomains.Keys | ForEach-Object { 'tag:' + $_.Replace('{d}', $TagDomains[$_]) })
        foreach ($tag in $TagDomains.Keys) {
            $domain = $TagDomains[$tag]
            $null = Resolve-MailExchanger $domain -Server $Dns.Server -Timeout 2 -Policy -WarningVariable warned -WarningAction SilentlyContinue
            $oursValid = -not ($warned.Message -like "*The DMARC record of $domain *")
            $theirsValid = $theirs['tag:' + $tag.Replace('{d}', $domain)]
            if ($tag -in $OursStricter) { $oursValid | Should -BeFalse -Because $tag; $theirsValid | Should -BeTrue -Because $tag }
            else { $oursValid | Should -Be $theirsValid -Because $tag }
        }
    }
}
