# A drill VM on restored disks: no network adapter at all, or one on a private switch (created when missing,
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
    $arguments = @{ Name = [string]$p.name; Generation = $generation; MemoryStartupBytes = [int64]$p.memoryBytes; NoVHD = $true }
    if ($p.path) { $arguments.Path = [string]$p.path }
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
    [ordered]@{ id = $vm.VMId.ToString(); name = $vm.Name; path = [string]$vm.Path }
}
