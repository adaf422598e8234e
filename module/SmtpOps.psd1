@{
    # The version is stamped from Directory.Build.props (VersionPrefix) by `build.ps1 package`.
    ModuleVersion        = '0.1.0'
    GUID                 = 'd3b3b607-b9b7-4f5e-b889-bfa4a882ebc1'
    Author               = 'SmtpOps contributors'
    CompanyName          = 'SmtpOps'
    Copyright            = '(c) SmtpOps contributors. MIT License.'
    Description          = 'Send mail securely (a drop-in successor of Send-MailMessage on MailKit), probe SMTP servers and resolve mail exchangers.'
    RootModule           = 'SmtpOps.dll'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('SmtpOps.format.ps1xml')
    CmdletsToExport      = @('Send-SmtpMail', 'Test-SmtpServer', 'Resolve-MailExchanger', 'Test-SpfRecord', 'New-DkimKey', 'Test-DkimKey', 'Get-SmtpRelayQueue', 'Get-SmtpRelayFailure', 'Resume-SmtpRelayFailure', 'Remove-SmtpRelayFailure', 'Find-SmtpRelayMessage')
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('SMTP', 'Email', 'Mail', 'MailKit', 'Send-MailMessage', 'OAuth2', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
