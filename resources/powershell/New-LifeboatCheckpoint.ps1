# A recovery checkpoint. Production (VSS, application-consistent) first: with CheckpointType ProductionOnly
# Hyper-V fails instead of silently falling back, so Lifeboat knows which kind it got. consistency "prefer"
# then takes a standard (crash-consistent) checkpoint and says why; "require" fails; "crash" goes straight to
# standard. The VM's own CheckpointType setting is restored afterwards. The disks returned are the ones the
# checkpoint froze (the VM now writes to .avhdx differencing disks).
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'checkpoint' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $original = $vm.CheckpointType
    $kind = 'app-consistent'
    $note = $null
    if ($vm.State.ToString() -eq 'Off') { $kind = 'powered-off' }
    $snapshot = $null
    try {
        if ($p.consistency -eq 'crash') {
            Set-VM -VM $vm -CheckpointType Standard
            if ($kind -ne 'powered-off') {
                $kind = 'crash-consistent'
                $note = 'The policy asks for crash-consistent copies: a standard checkpoint was taken.'
            }
            $snapshot = Checkpoint-VM -VM $vm -SnapshotName ([string]$p.name) -Passthru
        }
        else {
            Set-VM -VM $vm -CheckpointType ProductionOnly
            try {
                $snapshot = Checkpoint-VM -VM $vm -SnapshotName ([string]$p.name) -Passthru
            }
            catch {
                if ($p.consistency -ne 'prefer' -or $kind -eq 'powered-off') { throw }
                $note = "The production (VSS) checkpoint failed: $($_.Exception.Message) A standard (crash-consistent) checkpoint was taken instead, as the policy allows."
                Set-VM -VM $vm -CheckpointType Standard
                $snapshot = Checkpoint-VM -VM $vm -SnapshotName ([string]$p.name) -Passthru
                $kind = 'crash-consistent'
            }
        }
    }
    finally {
        Set-VM -VM $vm -CheckpointType $original
    }
    $disks = @(foreach ($drive in @(Get-VMHardDiskDrive -VMSnapshot $snapshot)) {
        $size = $null
        try { $size = (Get-VHD -Path $drive.Path).Size } catch { $size = $null }
        [ordered]@{
            controllerType     = $drive.ControllerType.ToString()
            controllerNumber   = $drive.ControllerNumber
            controllerLocation = $drive.ControllerLocation
            path               = [string]$drive.Path
            size               = $size
        }
    })
    [ordered]@{
        id        = $snapshot.Id.ToString()
        name      = $snapshot.Name
        kind      = $kind
        note      = $note
        createdAt = $snapshot.CreationTime.ToString('o')
        disks     = $disks
    }
}
