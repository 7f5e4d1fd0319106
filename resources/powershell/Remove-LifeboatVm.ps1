# Deletes a drill VM, but only a VM whose Notes carry Lifeboat's marker, and its folder, but only the folder
# Lifeboat made for it (lifeboat-owned.txt with the marker) and never the host's VM or VHD folder.
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'remove-vm' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId) -ErrorAction SilentlyContinue
    if (-not $vm) { return [ordered]@{ removed = $false; reason = 'gone' } }
    if (-not ([string]$vm.Notes).StartsWith([string]$p.marker)) { return [ordered]@{ removed = $false; reason = 'not-lifeboat' } }
    if ($vm.State.ToString() -ne 'Off') { Stop-VM -VM $vm -TurnOff -Force }
    # The folder Lifeboat made for it: the VM's own folder or its parent (New-VM -Path adds a folder per VM).
    $candidates = @([string]$vm.Path, (Split-Path -Parent ([string]$vm.Path))) | Where-Object { $_ }
    $owned = $null
    foreach ($candidate in $candidates) {
        $markerFile = Join-Path $candidate 'lifeboat-owned.txt'
        if ((Test-Path -LiteralPath $markerFile) -and ((Get-Content -LiteralPath $markerFile -Raw).StartsWith([string]$p.marker))) { $owned = $candidate; break }
    }
    # Never the host's own folders, even marked: they hold every other VM.
    $hostInfo = Get-VMHost
    $protected = @([string]$hostInfo.VirtualMachinePath, [string]$hostInfo.VirtualHardDiskPath) | Where-Object { $_ } | ForEach-Object { $_.TrimEnd('\') }
    if ($owned -and (($protected -contains $owned.TrimEnd('\')) -or ($owned.TrimEnd('\') -match '^[A-Za-z]:$'))) { $owned = $null }
    Remove-VM -VM $vm -Force
    if (-not $owned) {
        return [ordered]@{ removed = $true; reason = $null; folderRemoved = $false; folderKept = [string]$vm.Path }
    }
    # No SilentlyContinue: a folder that cannot be deleted is an error the drill record must show.
    Remove-Item -LiteralPath $owned -Recurse -Force -ErrorAction Stop
    [ordered]@{ removed = $true; reason = $null; folderRemoved = $true; folderKept = $null }
}
