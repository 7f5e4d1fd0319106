# The byte ranges of one virtual disk written since a Resilient Change Tracking id (kept by
# Save-LifeboatReferencePoint.ps1 after the last copy), up to the recovery checkpoint now frozen on that disk.
# Hyper-V answers in pieces (ProcessedByteLength may stop short of the range asked), so the query repeats until
# the whole disk is covered; touching ranges are merged so a busy disk's answer stays small.
# When Hyper-V has no record for the id (the reference point was removed, the disk replaced, RCT reset) it
# answers with an error code, not an exception: that is returned as `unavailable` with the code, and the
# engine reads the disk in full. Anything else (access denied, the host gone) fails the script.
# https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/msvm-imagemanagementservice-getvirtualdiskchanges
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'changes' {
    param($p)
    $ErrorActionPreference = 'Stop'
    $namespace = 'root\virtualization\v2'
    # Not Supported, Invalid Parameter, Invalid State, File Not Found: the baseline is not there any more.
    $baselineGone = @{ 32770 = 'Not supported'; 32773 = 'Invalid parameter'; 32775 = 'Invalid state'; 32779 = 'File not found' }

    $service = @(Get-WmiObject -Namespace $namespace -Class Msvm_ImageManagementService)[0]
    $size = [uint64]$p.size
    $offset = [uint64]0
    $ranges = New-Object System.Collections.ArrayList
    while ($offset -lt $size) {
        $answer = $service.GetVirtualDiskChanges([string]$p.path, [string]$p.limitId, '', $offset, $size - $offset)
        $code = [int]$answer.ReturnValue
        if ($baselineGone.ContainsKey($code)) {
            return [ordered]@{ unavailable = [ordered]@{ code = $code; meaning = $baselineGone[$code] }; ranges = @() }
        }
        if ($code -ne 0) { throw "GetVirtualDiskChanges failed on $($p.path) with return code $code." }
        $offsets = @($answer.ChangedByteOffsets)
        $lengths = @($answer.ChangedByteLengths)
        for ($i = 0; $i -lt $offsets.Count; $i++) {
            $start = [uint64]$offsets[$i]
            $length = [uint64]$lengths[$i]
            $last = $ranges.Count - 1
            if ($last -ge 0 -and ($ranges[$last][0] + $ranges[$last][1]) -ge $start) {
                $end = [math]::Max([double]($ranges[$last][0] + $ranges[$last][1]), [double]($start + $length))
                $ranges[$last] = @($ranges[$last][0], [uint64]($end - $ranges[$last][0]))
            }
            else { $null = $ranges.Add(@($start, $length)) }
        }
        $processed = [uint64]$answer.ProcessedByteLength
        if ($processed -eq 0) { throw "GetVirtualDiskChanges made no progress past byte $offset of $($p.path)." }
        $offset += $processed
    }
    [ordered]@{ unavailable = $null; ranges = @($ranges) }
}
