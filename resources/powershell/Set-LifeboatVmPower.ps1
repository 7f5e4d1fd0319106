# Power: action "start", "shutdown" (guest shutdown through integration services) or "turnoff".
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'power' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    switch ([string]$p.action) {
        'start' { Start-VM -VM $vm }
        'shutdown' { Stop-VM -VM $vm -Force }
        'turnoff' { Stop-VM -VM $vm -TurnOff -Force }
        default { throw "Unknown power action $($p.action)" }
    }
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    [ordered]@{ state = $vm.State.ToString() }
}
