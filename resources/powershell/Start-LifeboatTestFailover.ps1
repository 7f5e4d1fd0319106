# On the replica host: a test failover (Start-VMFailover -AsTest) creates "<name> - Test" from the latest
# (or a chosen) recovery point without touching replication; its adapters go to a private switch or nowhere.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'failover' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    if ($p.recoverySnapshotId) {
        $point = Get-VMSnapshot -VM $vm | Where-Object { $_.Id -eq [guid][string]$p.recoverySnapshotId }
        Start-VMFailover -VMRecoverySnapshot $point -AsTest -Confirm:$false
    }
    else {
        Start-VMFailover -VM $vm -AsTest -Confirm:$false
    }
    $test = Get-VM | Where-Object { $_.Name -eq ('{0} - Test' -f $vm.Name) } | Select-Object -First 1
    if (-not $test) { throw "Hyper-V reported no test VM for $($vm.Name)." }
    foreach ($nic in @(Get-VMNetworkAdapter -VM $test)) {
        if ($p.switchName) {
            if (-not (Get-VMSwitch -Name ([string]$p.switchName) -ErrorAction SilentlyContinue)) { New-VMSwitch -Name ([string]$p.switchName) -SwitchType Private | Out-Null }
            Connect-VMNetworkAdapter -VMNetworkAdapter $nic -SwitchName ([string]$p.switchName)
        }
        else { Disconnect-VMNetworkAdapter -VMNetworkAdapter $nic }
    }
    [ordered]@{ id = $test.VMId.ToString(); name = $test.Name; state = $test.State.ToString() }
}
