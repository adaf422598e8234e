#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Every cmdlet the module exports explains itself: help that matches the command (synopsis, description, every
# parameter described and none that does not exist, examples with code, links), output types with views, completion.
# The one help check for all cmdlets: the list comes from the imported module, so a new cmdlet is covered when it ships.

BeforeDiscovery {
    Import-Module $env:SMTPOPS_MODULE -Force
    $script:Cmdlets = Get-Command -Module SmtpOps -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } }
}

BeforeAll {
    Import-Module $env:SMTPOPS_MODULE -Force
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    # At least three examples each; the cmdlets with more ways to use them keep the examples they have.
    $script:MinimumExamples = @{ 'Send-SmtpMail' = 4; 'Test-SmtpServer' = 5 }
}

Describe 'The exported cmdlets' {
    It 'are found in the module (the help checks below run for each of them)' {
        $Cmdlets.Count | Should -BeGreaterOrEqual 3
        $Cmdlets.Name | Should -Contain 'Send-SmtpMail'
    }
}

Describe '<Name>' -ForEach $Cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $minimum = if ($MinimumExamples.ContainsKey($Name)) { $MinimumExamples[$Name] } else { 3 }
    }

    It 'has a synopsis, a description, examples with code and related links' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because 'help without a description means the MAML help was not found'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual $minimum
        @($help.Examples.Example | Where-Object { -not ($_.Code | Out-String).Trim() }) | Should -BeNullOrEmpty
        @($help.RelatedLinks.NavigationLink).Count | Should -BeGreaterOrEqual 1
    }

    It 'describes every parameter, and no parameter the command does not have' {
        $documented = @($help.Parameters.Parameter | Where-Object { ($_.Description | Out-String).Trim() }) | ForEach-Object Name
        $command.Parameters.Keys | Where-Object { $_ -notin $Common -and $_ -notin $documented } | Should -BeNullOrEmpty
        @($help.Parameters.Parameter.Name) | Where-Object { $_ -and -not $command.Parameters.ContainsKey($_) } | Should -BeNullOrEmpty
    }

    It 'declares output types that all have a default view' {
        $command.OutputType | Should -Not -BeNullOrEmpty
        foreach ($type in $command.OutputType.Name | Sort-Object -Unique) {
            Get-FormatData -TypeName $type | Should -Not -BeNullOrEmpty -Because "$type needs a view"
        }
    }
}

Describe 'Help that shows how the cmdlets compose' {
    It 'Resolve-MailExchanger has an example piped into Test-SmtpServer' {
        ((Get-Help Resolve-MailExchanger -Full).Examples.Example.Code -join "`n") | Should -Match 'Resolve-MailExchanger contoso.com \| .*Test-SmtpServer'
    }
}

Describe 'about_SmtpOps and completion' {
    It 'has an about topic' {
        (Get-Help about_SmtpOps | Out-String) | Should -Match 'RELAY'
    }

    It 'completes <Parameter> with <Expected>' -ForEach @(
        @{ Parameter = '-Security '; Expected = 'StartTls' }
        @{ Parameter = '-DeliveryNotificationOption '; Expected = 'OnFailure' }
        @{ Parameter = '-Encoding '; Expected = 'utf8' }
        @{ Parameter = '-SmtpServer smtp.g'; Expected = 'smtp.gmail.com' }
    ) {
        $line = "Send-SmtpMail $Parameter"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $Expected
    }
}
