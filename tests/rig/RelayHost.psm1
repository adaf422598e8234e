<#
.SYNOPSIS
    Starts the relay's local host (functions/SmtpOps.Relay.LocalHost: the WebJobs SDK, the engine of the
    Functions queue trigger) against Azurite and a test SMTP sink, for the demo and the relay benchmark.
#>
Set-StrictMode -Version Latest

function Start-RelayHost {
    # Configured by environment variables (Relay__..., Queues__...), as an app setting would configure the Function.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $HostPath,
        [Parameter(Mandatory)] $Azurite,
        [Parameter(Mandatory)] $Sink,
        [Parameter(Mandatory)] [string] $User,
        [Parameter(Mandatory)] [string] $Password,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $QueueName = 'smtpops-relay',
        # Further settings, e.g. @{ Queues__BatchSize = '16'; Relay__MessagesPerMinute = '600' }.
        [hashtable] $Settings = @{}
    )
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $all = @{
        RelayStorage                                = $Azurite.ConnectionString
        Relay__QueueName                            = $QueueName
        Relay__Smarthost__Host                      = '127.0.0.1'
        Relay__Smarthost__Port                      = "$($Sink.Port)"
        Relay__Smarthost__Security                  = 'StartTls'
        Relay__Smarthost__UserName                  = $User
        Relay__Smarthost__Password                  = $Password
        Relay__Smarthost__CertificateThumbprints__0 = $Sink.Thumbprint
        Relay__Policy__AllowedSenders__0            = 'contoso.example'
        Queues__MaxPollingInterval                  = '00:00:01'
    }
    foreach ($name in $Settings.Keys) { $all[$name] = "$($Settings[$name])" }
    $saved = @{}
    foreach ($name in $all.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $all[$name]) }
    try {
        Start-Process -FilePath 'dotnet' -ArgumentList $HostPath -PassThru -WorkingDirectory (Split-Path $HostPath) `
            -RedirectStandardOutput (Join-Path $Directory 'relay.out') -RedirectStandardError (Join-Path $Directory 'relay.err')
    }
    finally {
        foreach ($name in $all.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

Export-ModuleMember -Function Start-RelayHost
