#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Test-SpfRecord and the SPF evaluation of Resolve-MailExchanger -Policy in real pwsh, from the packaged module,
# against the DNS test server on 127.0.0.1: includes, redirect to a name without SPF, the lookup limits, bad macros.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/DnsServer.psm1') -Force

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-spf-pester-$([guid]::NewGuid().ToString('N'))"
    function Record([string] $Name, [string] $Type, [string] $Value) { @{ name = $Name; type = $Type; value = $Value; ttl = 300 } }

    $records = @(
        Record contoso.test MX '10 mx.contoso.test'
        Record mx.contoso.test A 192.0.2.25
        Record contoso.test TXT 'v=spf1 include:_spf.contoso.test mx -all exp=_exp.contoso.test'
        Record _spf.contoso.test TXT 'v=spf1 ip4:198.51.100.0/24 ~all'
        Record _exp.contoso.test TXT '%{i} is not a contoso.test server'
        Record redirect.test MX '10 mx.contoso.test'
        Record redirect.test TXT 'v=spf1 redirect=nospf.test'
        Record nospf.test TXT 'not an spf record'
        Record many.test MX '10 mx.contoso.test'
        Record many.test TXT ('v=spf1 ' + ((1..11 | ForEach-Object { "a:h$_.many.test" }) -join ' ') + ' -all')
        Record macro.test TXT 'v=spf1 exists:%{x}.macro.test -all'
        Record void.test TXT 'v=spf1 a:gone1.void.test a:gone2.void.test a:gone3.void.test -all'
    )
    foreach ($i in 1..11) { $records += Record "h$i.many.test" A "192.0.2.$(100 + $i)" }
    $script:Dns = Start-TestDnsServer -Zone @{ records = $records } -Directory (Join-Path $Work 'dns')
    $script:Common = @{ Server = $Dns.Server; Timeout = 2 }
}

AfterAll {
    if ($script:Dns) { Stop-TestDnsServer $script:Dns }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Test-SpfRecord' {
    It 'gives <Expected> for <Address>, through the include' -ForEach @(
        @{ Address = '198.51.100.7'; Expected = 'Pass'; Matched = 'include:_spf.contoso.test (contoso.test)' }
        @{ Address = '192.0.2.25'; Expected = 'Pass'; Matched = 'mx (contoso.test)' }
        @{ Address = '203.0.113.9'; Expected = 'Fail'; Matched = '-all (contoso.test)' }
    ) {
        $spf = Test-SpfRecord contoso.test -IPAddress $Address -Sender relay@contoso.test -HeloName relay.example @Common
        $spf.GetType().FullName | Should -Be 'SmtpOps.Spf.SpfEvaluation'
        $spf.Result | Should -Be $Expected
        $spf.MatchedTerm | Should -Be $Matched
        $spf.LookupCount | Should -BeLessOrEqual 2
    }

    It 'gives the explanation of a fail, macros expanded' {
        (Test-SpfRecord contoso.test -IPAddress 203.0.113.9 @Common).Explanation | Should -Be '203.0.113.9 is not a contoso.test server'
    }

    It 'reports <Domain> as permerror with RFC 7208 section <Section>' -ForEach @(
        @{ Domain = 'redirect.test'; Section = '6.1'; Message = 'the redirect target nospf.test has no SPF record' }
        @{ Domain = 'many.test'; Section = '4.6.4'; Message = 'more than 10 terms that query DNS*' }
        @{ Domain = 'void.test'; Section = '4.6.4'; Message = 'more than 2 lookups found nothing*' }
        @{ Domain = 'macro.test'; Section = '7.1'; Message = "*'%{x}' has no valid macro letter*" }
    ) {
        $spf = Test-SpfRecord $Domain @Common
        $spf.Result | Should -Be 'PermError'
        $spf.Errors | Should -HaveCount 1
        $spf.Errors[0].Section | Should -Be $Section
        $spf.Errors[0].Message | Should -BeLike $Message
    }

    It 'shows the tree, the counts and the errors in its views' {
        $table = Test-SpfRecord many.test @Common | Format-Table | Out-String -Width 200
        $table | Should -Match 'many\.test\s+\(none\)\s+permerror\s+11/10\s+0/2\s+permerror at many\.test \(a:h11\.many\.test\)'
        $list = Test-SpfRecord contoso.test @Common | Format-List | Out-String -Width 200
        $list | Should -Match 'Lookups\s+: 2 of 10, void 0 of 2'
        $list | Should -Match 'Tree\s+: contoso\.test: v=spf1 include:_spf\.contoso\.test mx -all exp=_exp\.contoso\.test'
        $list | Should -Match '\s+include:_spf\.contoso\.test: v=spf1 ip4:198\.51\.100\.0/24 ~all'
    }

    It 'takes domains and e-mail addresses from the pipeline' {
        $results = 'contoso.test', 'ops@redirect.test' | Test-SpfRecord @Common
        $results.Domain | Should -Be @('contoso.test', 'redirect.test')
        $results[1].Sender | Should -Be 'ops@redirect.test'
    }
}

Describe 'Resolve-MailExchanger -Policy: SPF evaluated' {
    It 'carries the evaluation of many.test: 11 lookups, a permerror in the warnings and the view' {
        $plan = Resolve-MailExchanger many.test -Policy @Common
        $plan.Policy.SpfEvaluation.LookupCount | Should -Be 11
        $plan.Policy.SpfEvaluation.Result | Should -Be 'PermError'
        $plan.Policy.Warnings | Should -Contain 'SPF permerror at many.test (a:h11.many.test): more than 10 terms that query DNS (include, a, mx, ptr, exists, redirect) (RFC 7208 section 4.6.4)'
        ($plan | Format-List | Out-String -Width 300) | Should -Match 'Spf\s+: v=spf1 a:h1\.many\.test .* -all \(permerror, lookups 11/10, void 0/2\)'
    }
}
