<#
.SYNOPSIS
    Installs Azurite into tests/azurite (pinned by its package-lock.json), and starts and stops it for Pester,
    the demo and the benchmarks: blob, queue and table services on free ports of 127.0.0.1, in memory.
#>
Set-StrictMode -Version Latest

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Install-Azurite {
    # Azurite (the Storage emulator for the relay tests) comes from npm, pinned by tests/azurite/package-lock.json.
    $folder = Join-Path $PSScriptRoot '../azurite'
    if (-not (Test-Path (Join-Path $folder 'node_modules/azurite/dist/src/azurite.js'))) {
        & npm ci --prefix $folder --no-audit --no-fund --loglevel error | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "'npm ci --prefix $folder' failed with exit code $LASTEXITCODE." }
    }
}

function Start-Azurite {
    # With -CertificatePath/-KeyPath (PEM): HTTPS and OAuth ('--oauth basic': a bearer JWT for https://storage.azure.com
    # with an sts.windows.net issuer and valid nbf/exp is accepted, its signature is not checked; shared keys still work).
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Directory, [string] $CertificatePath, [string] $KeyPath)
    $script = Join-Path $PSScriptRoot '../azurite/node_modules/azurite/dist/src/azurite.js'
    if (-not (Test-Path $script)) { throw "Azurite is not installed: run Install-Azurite (build.ps1 test does)." }
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $ports = @{ Blob = Get-FreePort; Queue = Get-FreePort; Table = Get-FreePort }
    $arguments = @((Resolve-Path $script).Path, '--blobHost', '127.0.0.1', '--blobPort', $ports.Blob, '--queueHost', '127.0.0.1', '--queuePort', $ports.Queue,
        '--tableHost', '127.0.0.1', '--tablePort', $ports.Table, '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent')
    $scheme = 'http'
    if ($CertificatePath) {
        $arguments += '--oauth', 'basic', '--cert', $CertificatePath, '--key', $KeyPath
        $scheme = 'https'
    }
    $process = Start-Process -FilePath 'node' -ArgumentList $arguments -PassThru `
        -RedirectStandardOutput (Join-Path $Directory 'azurite.out') -RedirectStandardError (Join-Path $Directory 'azurite.err')
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    foreach ($port in $ports.Values) {
        while ($true) {
            $client = [System.Net.Sockets.TcpClient]::new()
            try { $client.Connect('127.0.0.1', $port); break } catch { } finally { $client.Dispose() }
            if ($process.HasExited) { throw "Azurite exited with code $($process.ExitCode): $(Get-Content -Raw (Join-Path $Directory 'azurite.err'))" }
            if ([DateTime]::UtcNow -gt $deadline) { $process.Kill(); throw 'Azurite did not start within 60 s.' }
            Start-Sleep -Milliseconds 100
        }
    }
    $account = 'devstoreaccount1'
    $key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
    [pscustomobject]@{
        ConnectionString = "DefaultEndpointsProtocol=$scheme;AccountName=$account;AccountKey=$key;" +
            "BlobEndpoint=${scheme}://127.0.0.1:$($ports.Blob)/$account;QueueEndpoint=${scheme}://127.0.0.1:$($ports.Queue)/$account;TableEndpoint=${scheme}://127.0.0.1:$($ports.Table)/$account;"
        QueueEndpoint    = "${scheme}://127.0.0.1:$($ports.Queue)/$account"
        BlobEndpoint     = "${scheme}://127.0.0.1:$($ports.Blob)/$account"
        TableEndpoint    = "${scheme}://127.0.0.1:$($ports.Table)/$account"
        Process          = $process
    }
}

function Stop-Azurite {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Azurite)
    process {
        if (-not $Azurite.Process.HasExited) {
            $Azurite.Process.Kill($true)
            $Azurite.Process.WaitForExit(10000) | Out-Null
        }
    }
}

Export-ModuleMember -Function Install-Azurite, Start-Azurite, Stop-Azurite
