#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Send-SmtpMail -SigningCertificatePath / -EncryptTo from the packaged module, against a recording SMTP server on 127.0.0.1;
# what arrived is judged by openssl (Debian's, tests/rig/debian-packages.txt) against a private CA from 'test-trust --smime'.

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-smime-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    if (-not (Test-Path /usr/bin/openssl)) { throw '/usr/bin/openssl is missing: install the Debian package openssl (tests/rig/debian-packages.txt).' }

    $script:PfxPassword = 'Pfx-Never-Shown-7x!'
    $ca = Join-Path $Work 'ca'
    $script:Certificates = & dotnet $env:SMTPOPS_TESTSERVER test-trust --out $ca --smime 'reports@contoso.test' --smime 'ops@contoso.test' --pfx-password $PfxPassword
    if ($LASTEXITCODE -ne 0) { throw "test-trust --smime failed with exit code $LASTEXITCODE." }
    $script:Root = Join-Path $ca 'ca.pem'
    # Recipients' certificates only (the test-trust folder also holds keys and PFX files).
    $script:Recipients = Join-Path $Work 'recipients'
    New-Item -ItemType Directory -Path $Recipients | Out-Null
    Copy-Item (Join-Path $Certificates 'ops@contoso.test.pem') $Recipients
    $script:Secure = ConvertTo-SecureString $PfxPassword -AsPlainText -Force
    $script:Signing = @{ SigningCertificatePath = (Join-Path $Certificates 'reports@contoso.test.pfx'); SigningCertificatePassword = $Secure }
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'

    function Invoke-OpenSsl([string[]] $Arguments) {
        $output = & /usr/bin/openssl @Arguments 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'Send-SmtpMail with S/MIME' {
    BeforeEach {
        $sink = Start-SmtpSink -Directory (Join-Path $Work ([guid]::NewGuid().ToString('N')))
    }
    AfterEach { Stop-SmtpSink $sink }

    It 'signs with a PFX (<Signature>) and openssl verifies it against the root alone' -ForEach @(@{ Signature = 'Detached' }, @{ Signature = 'Opaque' }) {
        $result = Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject 'Signed' -Body 'Signed body' `
            -SmtpServer 127.0.0.1 -Port $sink.Port @Signing -Signature $Signature -PassThru

        $result.Smime.Signed | Should -BeTrue
        $result.Smime.SignatureFormat | Should -Be $Signature
        $result.Smime.ChainLength | Should -Be 2
        $file = @(Get-SinkMessageFile $sink)[0].FullName
        $verify = Invoke-OpenSsl @('smime', '-verify', '-in', $file, '-CAfile', $Root)
        $verify.ExitCode | Should -Be 0 -Because $verify.Output
        $verify.Output | Should -Match 'Signed body'
    }

    It 'signs, then encrypts for the recipient found in -EncryptTo; openssl decrypts, then verifies' {
        $result = Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject 'Both' -Body 'Secret body' `
            -SmtpServer 127.0.0.1 -Port $sink.Port @Signing -EncryptTo $Recipients -PassThru

        $result.Smime.EncryptedFor | Should -Be @('ops@contoso.test')
        $file = @(Get-SinkMessageFile $sink)[0].FullName
        Get-Content -Raw $file | Should -Not -Match 'Secret body'
        $inner = Join-Path $Work 'inner.eml'
        $decrypt = Invoke-OpenSsl @('smime', '-decrypt', '-in', $file, '-recip', (Join-Path $Certificates 'ops@contoso.test.pem'), '-inkey', (Join-Path $Certificates 'ops@contoso.test.key.pem'), '-out', $inner)
        $decrypt.ExitCode | Should -Be 0 -Because $decrypt.Output
        $verify = Invoke-OpenSsl @('smime', '-verify', '-in', $inner, '-CAfile', $Root)
        $verify.ExitCode | Should -Be 0 -Because $verify.Output
        $verify.Output | Should -Match 'Secret body'
    }

    It 'writes one error per recipient without a certificate, naming it, and sends nothing' {
        Send-SmtpMail -To 'ops@contoso.test', 'nobody@contoso.test' -Cc 'stranger@fabrikam.test' -From 'reports@contoso.test' -Subject 'Refused' -Body 'x' `
            -SmtpServer 127.0.0.1 -Port $sink.Port -EncryptionCertificate (Join-Path $Recipients 'ops@contoso.test.pem') -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -HaveCount 2
        $failures.FullyQualifiedErrorId | Should -Be @("SmimeRecipientCertificateMissing,$CommandType", "SmimeRecipientCertificateMissing,$CommandType")
        $failures.TargetObject | Should -Be @('nobody@contoso.test', 'stranger@fabrikam.test')
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].ToString() | Should -Match 'nobody@contoso.test'
        @(Get-SinkMessageFile $sink) | Should -HaveCount 0
    }

    It 'never shows the PFX password: not in the error for a wrong one, not in verbose output' {
        $wrong = ConvertTo-SecureString ('wrong-' + $PfxPassword) -AsPlainText -Force
        $failure = { Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject 'x' -Body 'x' -SmtpServer 127.0.0.1 -Port $sink.Port `
                -SigningCertificatePath $Signing.SigningCertificatePath -SigningCertificatePassword $wrong } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Be "SmimeCertificateFileUnreadable,$CommandType"
        ($failure | Out-String) + $failure.Exception.ToString() | Should -Not -Match ([regex]::Escape($PfxPassword))

        $verbose = Send-SmtpMail -To 'ops@contoso.test' -From 'reports@contoso.test' -Subject 'x' -Body 'x' -SmtpServer 127.0.0.1 -Port $sink.Port @Signing -Verbose 4>&1
        ($verbose | Out-String) | Should -Match 'S/MIME: signed by'
        ($verbose | Out-String) | Should -Not -Match ([regex]::Escape($PfxPassword))
    }
}
