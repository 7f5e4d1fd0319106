# After an unplanned failover, on the host where the VM now runs, once the old primary is back: reverse the
# replication towards it (Set-VMReplication -Reverse) and start the initial copy. Failback can follow when
# the state is Replicating.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'replication' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    Set-VMReplication -VM $vm -Reverse -ReplicaServerName ([string]$p.replicaServer) -Confirm:$false
    Start-VMInitialReplication -VM $vm
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    [ordered]@{
        id                = $vm.VMId.ToString()
        name              = $vm.Name
        replicationState  = $vm.ReplicationState.ToString()
        replicationMode   = $vm.ReplicationMode.ToString()
        replicationHealth = $vm.ReplicationHealth.ToString()
    }
}
