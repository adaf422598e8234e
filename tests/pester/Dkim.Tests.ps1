#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# DKIM in real pwsh, from the packaged module: New-DkimKey, Test-DkimKey against the test DNS server, and
# Send-SmtpMail -Dkim* to the sink, its messages verified by dkimpy (Debian python3-dkim) with the published keys.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/DnsServer.psm1') -Force

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-dkim-pester-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $Work | Out-Null
    $script:Rsa = New-DkimKey -Domain contoso.test -Selector rsa2026 -Path (Join-Path $Work 'rsa.pem')
    $script:Ed = New-DkimKey -Domain contoso.test -Selector ed2026 -Path (Join-Path $Work 'ed.pem') -Algorithm Ed25519Sha256
    $script:Other = New-DkimKey -Domain contoso.test -Selector other -Path (Join-Path $Work 'other.pem')
    $zone = @{ records = @(
            @{ name = $Rsa.RecordName; type = 'TXT'; value = $Rsa.RecordValue; ttl = 300 }
            @{ name = $Ed.RecordName; type = 'TXT'; value = $Ed.RecordValue; ttl = 300 }
        ) }
    $script:Dns = Start-TestDnsServer -Zone $zone -Directory (Join-Path $Work 'dns')
    $script:Sink = Start-SmtpSink -Directory (Join-Path $Work 'sink')
    $script:Smtp = @{ SmtpServer = '127.0.0.1'; Port = $Sink.Port; Security = 'None'; To = 'ops@fabrikam.test'; Subject = 'Signed report'; Body = 'All systems nominal.' }
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'

    # dkimpy, a verifier nobody here wrote; the key is looked up in the test DNS server through dnspython.
    function Test-Dkim([string] $Path) {
        $script = @'
import sys, dkim, dns.message, dns.query
port, path = int(sys.argv[1]), sys.argv[2]
def txt(name, timeout=5):
    answer, _ = dns.query.udp_with_fallback(dns.message.make_query(name.decode('ascii'), 'TXT'), '127.0.0.1', port=port, timeout=timeout)
    for rrset in answer.answer:
        for rdata in rrset:
            return b''.join(rdata.strings)
sys.exit(0 if dkim.verify(open(path, 'rb').read(), dnsfunc=txt) else 1)
'@
        & /usr/bin/python3 -c $script $Dns.Port $Path
        $LASTEXITCODE -eq 0
    }
}

AfterAll {
    if ($script:Sink) { Stop-SmtpSink $script:Sink }
    if ($script:Dns) { Stop-TestDnsServer $script:Dns }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'New-DkimKey' {
    It 'writes an owner-only key file and returns the record to publish' {
        $Rsa.GetType().FullName | Should -Be 'SmtpOps.Dkim.DkimDnsRecord'
        $Rsa.RecordName | Should -Be 'rsa2026._domainkey.contoso.test'
        $Rsa.RecordValue | Should -Match '^v=DKIM1; k=rsa; p=MIIBIjAN'
        $Rsa.KeySize | Should -Be 2048
        $Ed.RecordValue | Should -Match '^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$'
        Get-Content -Raw $Rsa.PrivateKeyPath | Should -Match '^-----BEGIN PRIVATE KEY-----'
        if (-not $IsWindows) { (Get-Item $Rsa.PrivateKeyPath).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
        ($Rsa | Out-String) | Should -Not -Match 'PRIVATE KEY'
    }

    It 'never replaces a key file without -Force' {
        { New-DkimKey contoso.test rsa2026 $Rsa.PrivateKeyPath -ErrorAction Stop } | Should -Throw -ErrorId 'DkimKeyFileExists,SmtpOps.PowerShell.Commands.NewDkimKeyCommand'
        (Test-DkimKey contoso.test rsa2026 $Rsa.PrivateKeyPath -Server $Dns.Server).Status | Should -Be 'Match'
    }
}

Describe 'Test-DkimKey' {
    It 'says <Status> for <Selector> with key <Key>' -ForEach @(
        @{ Selector = 'rsa2026'; Key = 'rsa.pem'; Status = 'Match' }
        @{ Selector = 'ed2026'; Key = 'ed.pem'; Status = 'Match' }
        @{ Selector = 'rsa2026'; Key = 'other.pem'; Status = 'Mismatch' }
        @{ Selector = 'other'; Key = 'other.pem'; Status = 'NotPublished' }
    ) {
        $result = Test-DkimKey -Domain contoso.test -Selector $Selector -Key (Join-Path $Work $Key) -Server $Dns.Server
        $result.Status | Should -Be $Status
        $result.Matches | Should -Be ($Status -eq 'Match')
    }

    It 'takes New-DkimKey''s output from the pipeline' {
        ($Ed | Test-DkimKey -Server $Dns.Server).Status | Should -Be 'Match'
    }
}

Describe 'Send-SmtpMail -DkimDomain -DkimSelector -DkimKey' {
    It 'signs with <Name> as given by <How>, and dkimpy accepts what the server received' -ForEach @(
        @{ Name = 'RSA'; Selector = 'rsa2026'; How = 'a path'; Key = { $Rsa.PrivateKeyPath } }
        @{ Name = 'Ed25519'; Selector = 'ed2026'; How = 'a path'; Key = { $Ed.PrivateKeyPath } }
        @{ Name = 'RSA'; Selector = 'rsa2026'; How = 'PEM text in a SecureString'; Key = { ConvertTo-SecureString (Get-Content -Raw $Rsa.PrivateKeyPath) -AsPlainText -Force } }
    ) {
        $before = @(Get-SinkMessageFile $Sink).Count
        $verbose = $null
        $result = Send-SmtpMail @Smtp -From 'Reports <reports@contoso.test>' -DkimDomain contoso.test -DkimSelector $Selector -DkimKey (& $Key) -PassThru -Verbose 4>&1 |
            Tee-Object -Variable verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $result.Dkim.Domain | Should -Be 'contoso.test'
        $result.Dkim.Selector | Should -Be $Selector
        $result.Dkim.Algorithm | Should -Be $(if ($Name -eq 'RSA') { 'rsa-sha256' } else { 'ed25519-sha256' })
        ($verbose | Out-String) | Should -Not -Match 'PRIVATE KEY|MII'
        $files = @(Get-SinkMessageFile $Sink)
        $files.Count | Should -Be ($before + 1)
        Test-Dkim $files[-1].FullName | Should -BeTrue
    }

    It 'refuses a From domain the key is not for, sends nothing, and goes on with the next message' {
        $before = @(Get-SinkMessageFile $Sink).Count
        $messages = @(
            [pscustomobject]@{ From = 'reports@fabrikam.test' }
            [pscustomobject]@{ From = 'reports@eu.contoso.test' }
        )
        $sent = $messages | Send-SmtpMail -SmtpServer 127.0.0.1 -Port $Sink.Port -Security None -To ops@fabrikam.test -Subject s -Body b -DkimDomain contoso.test -DkimSelector rsa2026 -DkimKey $Rsa.PrivateKeyPath -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -Be "DkimUnaligned,$CommandType"
        $failed[0].TargetObject | Should -Be 'fabrikam.test'
        @($sent).Count | Should -Be 1
        @(Get-SinkMessageFile $Sink).Count | Should -Be ($before + 1)
        Test-Dkim (Get-SinkMessageFile $Sink)[-1].FullName | Should -BeTrue
    }

    It 'needs all three parameters' {
        { Send-SmtpMail @Smtp -From reports@contoso.test -DkimDomain contoso.test -ErrorAction Stop } | Should -Throw -ErrorId "DkimIncomplete,$CommandType"
    }

    It 'never quotes a key it cannot use' {
        $pem = Get-Content -Raw $Rsa.PrivateKeyPath
        $broken = $pem.Replace('MII', 'MIX')
        $record = $null
        try { Send-SmtpMail @Smtp -From reports@contoso.test -DkimDomain contoso.test -DkimSelector rsa2026 -DkimKey $broken -ErrorAction Stop } catch { $record = $_ }
        $record.FullyQualifiedErrorId | Should -Be "DkimKeyUnreadable,$CommandType"
        $line = ($pem -split "`n")[2]
        ($record | Out-String) + $record.Exception.ToString() | Should -Not -Match ([regex]::Escape($line.Substring(0, 20)))
    }
}

Describe 'Send-SmtpMail with S/MIME and DKIM together' {
    It 'signs and encrypts with S/MIME first, then DKIM-signs the result: dkimpy verifies what arrived, openssl decrypts and verifies it' {
        $ca = Join-Path $Work 'smime-ca'
        $certificates = & dotnet $env:SMTPOPS_TESTSERVER test-trust --out $ca --smime 'reports@contoso.test' --smime 'ops@fabrikam.test'
        $LASTEXITCODE | Should -Be 0
        $recipients = Join-Path $Work 'smime-recipients'
        New-Item -ItemType Directory -Force -Path $recipients | Out-Null
        Copy-Item (Join-Path $certificates 'ops@fabrikam.test.pem') $recipients
        $before = @(Get-SinkMessageFile $Sink).Count

        $result = Send-SmtpMail @Smtp -From 'reports@contoso.test' -Body 'Quarterly secret' -SigningCertificatePath (Join-Path $certificates 'reports@contoso.test.pfx') `
            -EncryptTo $recipients -DkimDomain contoso.test -DkimSelector rsa2026 -DkimKey $Rsa.PrivateKeyPath -PassThru

        $result.Smime.EncryptedFor | Should -Be @('ops@fabrikam.test')
        $result.Dkim.Selector | Should -Be 'rsa2026'
        $file = @(Get-SinkMessageFile $Sink)[$before].FullName
        Get-Content -Raw $file | Should -Not -Match 'Quarterly secret'
        # DKIM signed the S/MIME envelope as it went out: a DKIM signature made before S/MIME would not verify.
        Test-Dkim $file | Should -BeTrue
        $decrypted = Join-Path $Work 'smime-dkim.eml'
        & /usr/bin/openssl smime -decrypt -in $file -recip (Join-Path $certificates 'ops@fabrikam.test.pem') -inkey (Join-Path $certificates 'ops@fabrikam.test.key.pem') -out $decrypted 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $verified = & /usr/bin/openssl smime -verify -in $decrypted -CAfile (Join-Path $ca 'ca.pem') 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $verified
        $verified | Should -Match 'Quarterly secret'
    }
}
