# Planned failover, step 2, on the REPLICA host (after Invoke-LifeboatFailoverPrepare.ps1 on the primary):
# Start-VMFailover makes the replica VM runnable from the changes the primary just sent; Set-VMReplication
# -Reverse makes it the primary, replicating back to the old primary (the way home for failback); Start-VM.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'failover' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    Start-VMFailover -VM $vm -Confirm:$false
    Set-VMReplication -VM $vm -Reverse -Confirm:$false
    Start-VM -VM $vm
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    [ordered]@{
        id                = $vm.VMId.ToString()
        name              = $vm.Name
        state             = $vm.State.ToString()
        replicationState  = $vm.ReplicationState.ToString()
        replicationMode   = $vm.ReplicationMode.ToString()
        replicationHealth = $vm.ReplicationHealth.ToString()
    }
}
