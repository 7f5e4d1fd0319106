# Removes a recovery checkpoint by id; Hyper-V merges the .avhdx back into the parent. Gone already: fine.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'checkpoint' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $wanted = [guid][string]$p.checkpointId
    $snapshots = @(Get-VMSnapshot -VM $vm | Where-Object { $_.Id -eq $wanted })
    foreach ($snapshot in $snapshots) { Remove-VMSnapshot -VMSnapshot $snapshot -Confirm:$false }
    [ordered]@{ removed = $snapshots.Count }
}
