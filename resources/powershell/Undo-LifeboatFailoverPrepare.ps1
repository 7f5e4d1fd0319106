# Going back from a prepared planned failover, on the PRIMARY host: Stop-VMFailover cancels the prepare
# (replication resumes in the original direction) and Start-VM starts the production VM again.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'failover' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    if ($vm.ReplicationState -eq 'PreparedForFailover') { Stop-VMFailover -VM $vm -Confirm:$false }
    Start-VM -VM $vm
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    [ordered]@{
        id               = $vm.VMId.ToString()
        name             = $vm.Name
        state            = $vm.State.ToString()
        replicationState = $vm.ReplicationState.ToString()
        replicationMode  = $vm.ReplicationMode.ToString()
    }
}
