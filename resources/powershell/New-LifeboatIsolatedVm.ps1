# A drill VM on restored disks, in a folder Lifeboat creates and marks (lifeboat-owned.txt): no network adapter at all, or one on a private switch (created when missing,
# private switches reach no physical network). Marked in its Notes so Remove-LifeboatVm.ps1 only ever
# deletes VMs Lifeboat made. A real failover passes `networks` instead: one adapter on each existing switch
# (the plan's recovery networks), never a new one.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'create-vm' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $generation = [int]$p.generation
    # The VM lives in a folder Lifeboat made and marked: cleanup deletes that folder and nothing else, never
    # the host's own VM folder (where New-VM puts a VM without -Path, beside every other VM's configuration).
    if (-not $p.path) { throw 'Lifeboat creates drill and failover VMs only in a folder of its own; no folder was given.' }
    $folder = [string]$p.path
    $markerFile = Join-Path $folder 'lifeboat-owned.txt'
    if (Test-Path -LiteralPath $folder) {
        $owned = (Test-Path -LiteralPath $markerFile) -and ((Get-Content -LiteralPath $markerFile -Raw).StartsWith([string]$p.marker))
        if (-not $owned -and @(Get-ChildItem -LiteralPath $folder -Force).Count -gt 0) { throw "The folder $folder exists and is not Lifeboat's: choose another, Lifeboat makes its own." }
    } else {
        New-Item -ItemType Directory -Path $folder | Out-Null
    }
    Set-Content -LiteralPath $markerFile -Value ("{0}`r`nCreated by Lifeboat for VM {1}; Lifeboat deletes this folder when it removes the VM." -f [string]$p.marker, [string]$p.name) -Encoding UTF8
    $arguments = @{ Name = [string]$p.name; Generation = $generation; MemoryStartupBytes = [int64]$p.memoryBytes; NoVHD = $true; Path = $folder }
    if ($p.switchName) {
        $switch = Get-VMSwitch -Name ([string]$p.switchName) -ErrorAction SilentlyContinue
        if (-not $switch) { $switch = New-VMSwitch -Name ([string]$p.switchName) -SwitchType Private }
        if ($switch.SwitchType.ToString() -ne 'Private') { throw "The switch $($p.switchName) is not a private switch; a drill must not reach the production network." }
        $arguments.SwitchName = [string]$p.switchName
    }
    $vm = New-VM @arguments
    if (-not $p.switchName) { Get-VMNetworkAdapter -VM $vm | Remove-VMNetworkAdapter }
    foreach ($network in @($p.networks | Where-Object { $_ })) {
        $switch = Get-VMSwitch -Name ([string]$network)
        Add-VMNetworkAdapter -VM $vm -SwitchName $switch.Name
    }
    Set-VMProcessor -VM $vm -Count ([int]$p.cpus)
    foreach ($disk in @($p.disks)) { Add-VMHardDiskDrive -VM $vm -Path ([string]$disk) }
    if ($generation -eq 2) {
        $boot = Get-VMHardDiskDrive -VM $vm | Select-Object -First 1
        Set-VMFirmware -VM $vm -EnableSecureBoot Off -FirstBootDevice $boot
    }
    Set-VM -VM $vm -Notes ("{0}: created by Lifeboat for a drill; Lifeboat deletes it afterwards." -f [string]$p.marker) -AutomaticStartAction Nothing
    [ordered]@{ id = $vm.VMId.ToString(); name = $vm.Name; path = [string]$vm.Path; ownedFolder = $folder }
}
