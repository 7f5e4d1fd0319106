# Deletes a drill VM and its folder, but only a VM whose Notes carry Lifeboat's marker.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'remove-vm' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId) -ErrorAction SilentlyContinue
    if (-not $vm) { return [ordered]@{ removed = $false; reason = 'gone' } }
    if (-not ([string]$vm.Notes).StartsWith([string]$p.marker)) { return [ordered]@{ removed = $false; reason = 'not-lifeboat' } }
    if ($vm.State.ToString() -ne 'Off') { Stop-VM -VM $vm -TurnOff -Force }
    $folder = [string]$vm.Path
    Remove-VM -VM $vm -Force
    if ($folder -and (Test-Path -LiteralPath (Join-Path $folder 'Virtual Machines'))) { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue }
    [ordered]@{ removed = $true; reason = $null }
}
