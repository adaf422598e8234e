#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# One TLS policy for Send-SmtpMail and Test-SmtpServer, against servers on 127.0.0.1 whose certificates come from
# a private CA that this process trusts the way a machine trusts its company CA: through the system's root store
# (build.ps1 starts the suite with SSL_CERT_FILE = system roots + the run's CA, SMTPOPS_TEST_CA = the CA's folder).

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot '../rig/SmtpSink.psm1') -Force
    if (-not $env:SMTPOPS_TEST_CA -or -not (Test-Path (Join-Path $env:SMTPOPS_TEST_CA 'ca.pem'))) {
        throw 'SMTPOPS_TEST_CA is not set: run the suites through ./build.ps1 test, which creates the run''s CA and trusts it.'
    }
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "smtpops-tls-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Credential = [pscredential]::new('alice', (ConvertTo-SecureString 'Tls-S3cret!' -AsPlainText -Force))
    $script:CommandType = 'SmtpOps.PowerShell.Commands.SendSmtpMailCommand'

    function Start-TlsServer([string] $Name, [string] $Kind, [switch] $PrivateCa) {
        $arguments = @('--starttls', '--cert-kind', $Kind, '--user', 'alice:Tls-S3cret!')
        if ($PrivateCa) { $arguments += '--ca', $env:SMTPOPS_TEST_CA }
        Start-ScriptedSmtpServer -Directory (Join-Path $script:Work $Name) -Arguments $arguments
    }

    # What Send-SmtpMail did: Sent with its result and warnings, or the error.
    function Invoke-Send([object] $Server, [hashtable] $With = @{}) {
        $warnings = $null
        try {
            $result = Send-SmtpMail -From 'reports@contoso.test' -To 'ops@contoso.test' -Subject 'TLS policy' -Body 'b' `
                -SmtpServer 127.0.0.1 -Port $Server.Port -MaximumRetryCount 0 -PassThru -ErrorAction Stop `
                -WarningVariable warnings -WarningAction SilentlyContinue @With
            [pscustomobject]@{ Sent = $true; Result = $result; Warnings = @($warnings); Error = $null }
        }
        catch {
            [pscustomobject]@{ Sent = $false; Result = $null; Warnings = @($warnings); Error = $_ }
        }
    }

    function Get-PolicyCheck([object] $Server, [hashtable] $With = @{}) {
        $probe = Test-SmtpServer 127.0.0.1 -Port $Server.Port -CertificateWarningDays 1 @With
        $probe.Checks | Where-Object Name -EQ 'TLS policy'
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
}

Describe 'TLS policy: private-CA, revoked, unreachable-CRL, self-signed, expired and wrong-name certificates' {
    BeforeAll {
        $private = Start-TlsServer 'private' valid -PrivateCa
        $revoked = Start-TlsServer 'revoked' revoked -PrivateCa
        $offline = Start-TlsServer 'offline' crl-unreachable -PrivateCa
        $selfSigned = Start-TlsServer 'self-signed' self-signed
        $expired = Start-TlsServer 'expired' expired -PrivateCa
        $mismatch = Start-TlsServer 'mismatch' mismatch -PrivateCa
        $otherCa = Start-TlsServer 'other-ca' valid
        $withCredential = @{ Credential = $Credential }
    }
    AfterAll { $private, $revoked, $offline, $selfSigned, $expired, $mismatch, $otherCa | Where-Object { $_ } | Stop-SmtpSink }

    It '1. a private CA in the trust store, leaf without CRL distribution point: sends, says revocation unknown, warns once' {
        $send = Invoke-Send $private $withCredential
        $send.Sent | Should -BeTrue
        $send.Result.CertificateTrust | Should -Be 'Trusted'
        $send.Result.CertificateRevocation | Should -Be 'Unknown'
        $send.Result.Certificate.RevocationDetail | Should -Be 'it names no CRL distribution point or OCSP responder'
        $send.Warnings | Should -HaveCount 1
        "$($send.Warnings[0])" | Should -Match 'revocation status unknown.*Strict would refuse'

        $probe = Test-SmtpServer 127.0.0.1 -Port $private.Port -Credential $Credential -CertificateWarningDays 1
        ($probe.Checks | Where-Object Name -EQ 'Certificate chain').Verdict | Should -Be 'Pass'
        ($probe.Checks | Where-Object Name -EQ 'Certificate revocation').Verdict | Should -Be 'Warn'
        ($probe.Checks | Where-Object Name -EQ 'AUTH').Verdict | Should -Be 'Pass'
        ($probe.Checks | Where-Object Name -EQ 'TLS policy').Verdict | Should -Be 'Pass'
        $probe.Certificate.Revocation | Should -Be 'Unknown'
    }

    It '1. warns once per certificate for a whole pipeline, not once per message' {
        $warnings = $null
        $results = 1..3 | ForEach-Object { [pscustomobject]@{ To = 'ops@contoso.test'; Subject = "n$_"; Body = 'b' } } |
            Send-SmtpMail -From 'reports@contoso.test' -SmtpServer 127.0.0.1 -Port $private.Port -Credential $Credential -PassThru `
                -WarningVariable warnings -WarningAction SilentlyContinue
        $results | Should -HaveCount 3
        $warnings | Should -HaveCount 1
    }

    It '1. writes the decision into the transcript' {
        $transcript = Join-Path $Work 'private.log'
        Invoke-Send $private @{ Credential = $Credential; TranscriptPath = $transcript } | Select-Object -ExpandProperty Sent | Should -BeTrue
        Get-Content -Raw $transcript | Should -Match '\*\* TLS certificate of 127\.0\.0\.1:\d+: trusted .*revocation status unknown'
    }

    It '2. a leaf revoked by the CRL the CA serves: refused with or without credentials, "revoked" in the error' {
        foreach ($with in $withCredential, @{}) {
            $send = Invoke-Send $revoked $with
            $send.Sent | Should -BeFalse
            $send.Error.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType"
            $send.Error.CategoryInfo.Category | Should -Be 'SecurityError'
            $send.Error.Exception.Message | Should -Match 'revoked by its issuer'
            $send.Error.Exception.Certificate.Revocation | Should -Be 'Revoked'
        }
        $probe = Test-SmtpServer 127.0.0.1 -Port $revoked.Port -Credential $Credential
        ($probe.Checks | Where-Object Name -EQ 'Certificate revocation').Verdict | Should -Be 'Fail'
        ($probe.Checks | Where-Object Name -EQ 'TLS policy').Reason | Should -Match '^would refuse: .*revoked'
    }

    It '3. a CRL distribution point that cannot be reached: sends by default with a warning' {
        $send = Invoke-Send $offline $withCredential
        $send.Sent | Should -BeTrue
        $send.Result.CertificateRevocation | Should -Be 'Unknown'
        "$($send.Warnings)" | Should -Match 'could not be reached'
    }

    It '3. ... and is refused with -RevocationMode Strict' {
        $send = Invoke-Send $offline @{ Credential = $Credential; RevocationMode = 'Strict' }
        $send.Sent | Should -BeFalse
        $send.Error.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType"
        $send.Error.Exception.Message | Should -Match 'revocation status unknown \(its CRL distribution point or OCSP responder could not be reached\) and the revocation mode is Strict'
        $send.Error.ErrorDetails.RecommendedAction | Should -Match 'RevocationMode'
        (Get-PolicyCheck $offline @{ Credential = $Credential; RevocationMode = 'Strict' }).Verdict | Should -Be 'Fail'
    }

    It '4. a self-signed certificate under Auto without credentials: sent encrypted, unvalidated, with a warning' {
        $send = Invoke-Send $selfSigned
        $send.Sent | Should -BeTrue
        $send.Result.TlsProtocol | Should -Not -Be 'None'
        $send.Result.CertificateTrust | Should -Be 'Unvalidated'
        "$($send.Warnings)" | Should -Match 'not validated: self-signed.*opportunistic'
        (Get-PolicyCheck $selfSigned).Reason | Should -Match '^would send encrypted but unvalidated'
    }

    It '4. ... the same with -Credential is refused before AUTH' {
        $transcript = Join-Path $Work 'self-signed.log'
        $send = Invoke-Send $selfSigned @{ Credential = $Credential; TranscriptPath = $transcript }
        $send.Sent | Should -BeFalse
        $send.Error.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType"
        $send.Error.Exception.Message | Should -Match 'self-signed'
        Get-Content -Raw $transcript | Should -Not -Match 'AUTH'
    }

    It '4. ... and with -UseSsl or an explicit -Security StartTls, credentials or not' {
        (Invoke-Send $selfSigned @{ UseSsl = $true }).Error.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType"
        (Invoke-Send $selfSigned @{ Security = 'StartTls' }).Error.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType"
    }

    It '5. an expired certificate: refused when authenticating, opportunistic without credentials' {
        $refused = Invoke-Send $expired $withCredential
        $refused.Error.Exception.Message | Should -Match 'expired on'
        $refused.Error.ErrorDetails.RecommendedAction | Should -Match 'CertificateThumbprint'
        $opportunistic = Invoke-Send $expired
        $opportunistic.Result.CertificateTrust | Should -Be 'Unvalidated'
    }

    It '5. a certificate for another name: refused when authenticating, opportunistic without credentials' {
        $refused = Invoke-Send $mismatch $withCredential
        $refused.Error.Exception.Message | Should -Match 'does not name 127\.0\.0\.1 \(it names wrong\.example\)'
        (Invoke-Send $mismatch).Result.CertificateTrust | Should -Be 'Unvalidated'
    }

    It '6. pinning by SHA-1 and by SHA-256 overrides chain problems; -SkipCertificateCheck still works' {
        (Invoke-Send $selfSigned @{ Credential = $Credential; CertificateThumbprint = $selfSigned.Thumbprint }).Result.CertificateTrust | Should -Be 'Pinned'
        $sha256 = (Test-SmtpServer 127.0.0.1 -Port $selfSigned.Port).Certificate.Sha256Thumbprint
        (Invoke-Send $selfSigned @{ Credential = $Credential; CertificateThumbprint = $sha256 }).Result.CertificateTrust | Should -Be 'Pinned'
        (Invoke-Send $expired @{ Credential = $Credential; CertificateThumbprint = $expired.Thumbprint }).Result.CertificateTrust | Should -Be 'Pinned'
        (Invoke-Send $selfSigned @{ Credential = $Credential; SkipCertificateCheck = $true }).Result.CertificateTrust | Should -Be 'Skipped'
        (Invoke-Send $selfSigned @{ Credential = $Credential; CertificateThumbprint = 'AB' * 20 }).Error.Exception.Message | Should -Match 'not one of the pinned thumbprints'
    }

    It 'trusts a CA passed with -TrustedRootCertificate for one command, and only then' {
        (Invoke-Send $otherCa $withCredential).Error.Exception.Message | Should -Match 'issued by a CA this machine does not trust'
        $send = Invoke-Send $otherCa @{ Credential = $Credential; TrustedRootCertificate = $otherCa.CaCertificatePath }
        $send.Result.CertificateTrust | Should -Be 'Trusted'
        (Get-PolicyCheck $otherCa @{ Credential = $Credential; TrustedRootCertificate = $otherCa.CaCertificatePath }).Verdict | Should -Be 'Pass'
    }

    It 'refuses -SkipCertificateCheck with -CertificateThumbprint in both cmdlets (ConflictingCertificateOptions)' {
        { Send-SmtpMail -From a@contoso.test -To b@contoso.test -SmtpServer 127.0.0.1 -SkipCertificateCheck -CertificateThumbprint ('AB' * 20) -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConflictingCertificateOptions,SmtpOps.PowerShell.Commands.SendSmtpMailCommand'
        { Test-SmtpServer 127.0.0.1 -SkipCertificateCheck -CertificateThumbprint ('AB' * 20) -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConflictingCertificateOptions,SmtpOps.PowerShell.Commands.TestSmtpServerCommand'
    }

    Context 'Test-SmtpServer agrees with what Send-SmtpMail did' {
        It '<Name>: the TLS policy check is <Expected>, and Send-SmtpMail <Outcome>' -ForEach @(
            @{ Name = 'private CA, credentials'; Server = 'private'; With = @{ Credential = 'yes' }; Expected = 'Pass'; Outcome = 'sends' }
            @{ Name = 'private CA, Strict'; Server = 'private'; With = @{ Credential = 'yes'; RevocationMode = 'Strict' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'private CA, NoCheck'; Server = 'private'; With = @{ Credential = 'yes'; RevocationMode = 'NoCheck' }; Expected = 'Pass'; Outcome = 'sends' }
            @{ Name = 'revoked'; Server = 'revoked'; With = @{ Credential = 'yes' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'revoked, no credentials'; Server = 'revoked'; With = @{}; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'CRL unreachable'; Server = 'offline'; With = @{ Credential = 'yes' }; Expected = 'Pass'; Outcome = 'sends' }
            @{ Name = 'CRL unreachable, Strict'; Server = 'offline'; With = @{ Credential = 'yes'; RevocationMode = 'Strict' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'self-signed, opportunistic'; Server = 'selfSigned'; With = @{}; Expected = 'Warn'; Outcome = 'sends' }
            @{ Name = 'self-signed, credentials'; Server = 'selfSigned'; With = @{ Credential = 'yes' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'self-signed, StartTls'; Server = 'selfSigned'; With = @{ Security = 'StartTls' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'self-signed, pinned'; Server = 'selfSigned'; With = @{ Credential = 'yes'; CertificateThumbprint = 'pin' }; Expected = 'Pass'; Outcome = 'sends' }
            @{ Name = 'self-signed, skipped'; Server = 'selfSigned'; With = @{ Credential = 'yes'; SkipCertificateCheck = $true }; Expected = 'Warn'; Outcome = 'sends' }
            @{ Name = 'expired, credentials'; Server = 'expired'; With = @{ Credential = 'yes' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'expired, opportunistic'; Server = 'expired'; With = @{}; Expected = 'Warn'; Outcome = 'sends' }
            @{ Name = 'wrong name, credentials'; Server = 'mismatch'; With = @{ Credential = 'yes' }; Expected = 'Fail'; Outcome = 'refuses' }
            @{ Name = 'wrong name, opportunistic'; Server = 'mismatch'; With = @{}; Expected = 'Warn'; Outcome = 'sends' }
        ) {
            $server = Get-Variable -Name $Server -ValueOnly
            $parameters = @{} + $With
            if ($parameters.Credential) { $parameters.Credential = $Credential }
            if ($parameters.CertificateThumbprint) { $parameters.CertificateThumbprint = $server.Thumbprint }

            $check = Get-PolicyCheck $server $parameters
            $send = Invoke-Send $server $parameters

            $check.Verdict | Should -Be $Expected
            $send.Sent | Should -Be ($Outcome -eq 'sends') -Because "the probe said: $($check.Reason); the send: $($send.Error)"
            if (-not $send.Sent) { $send.Error.FullyQualifiedErrorId | Should -Be "CertificateValidationFailed,$CommandType" }
        }
    }
}
