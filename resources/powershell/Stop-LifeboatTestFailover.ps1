# Ends a test failover: Stop-VMFailover on the replica VM deletes its "<name> - Test" VM.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'failover' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    Stop-VMFailover -VM $vm -Confirm:$false
    [ordered]@{ replicationState = $vm.ReplicationState.ToString() }
}
