# A TCP port of a drill VM, tested from inside its guest through PowerShell Direct (New-PSSession -VMId on
# the host, over VMBus: the isolated VM needs no network). Parameters: vmId, port, timeoutSeconds and the
# guest account (guestUsername, and guestPassword, which Invoke-LifeboatScript adds from the process's secrets,
# never from the command text), from which the PSCredential is built here; the password is never printed.
# Inside the guest: TcpClient to 127.0.0.1:<port>, retried until the deadline; the first bytes of its answer
# are read (HTTP ports get a HEAD request first, other services may greet with a banner).
# Result: outcome "answered" (answer: the bytes or null), "refused", "timeout", or "no-session" when
# PowerShell Direct could not sign in to the guest (message, exceptionType, errorId say why).
param([Parameter(Mandatory = $true)][string]$ParamsBase64)
. (Join-Path $PSScriptRoot '_Lifeboat.ps1')

Invoke-LifeboatScript $ParamsBase64 'guest-port' {
    param($p)
    $ErrorActionPreference = 'Stop'
    Import-Module Hyper-V
    $vm = Get-VM -Id ([guid][string]$p.vmId)
    $port = [int]$p.port
    $timeout = [Math]::Max(1, [int]$p.timeoutSeconds)
    $deadline = [DateTime]::UtcNow.AddSeconds($timeout)
    $secure = ConvertTo-SecureString -String ([string]$p.guestPassword) -AsPlainText -Force
    $credential = New-Object System.Management.Automation.PSCredential ([string]$p.guestUsername, $secure)

    # PowerShell Direct refuses sign-ins until the guest has finished starting: retried until the deadline.
    $session = $null
    $failure = $null
    while ($null -eq $session) {
        try {
            $session = New-PSSession -VMId $vm.Id -Credential $credential -ErrorAction Stop
        }
        catch {
            $failure = $_
            if ([DateTime]::UtcNow -ge $deadline) { break }
            Start-Sleep -Seconds 2
        }
    }
    if ($null -eq $session) {
        return [ordered]@{
            outcome       = 'no-session'
            port          = $port
            answer        = $null
            message       = [string]$failure.Exception.Message
            exceptionType = $failure.Exception.GetType().FullName
            errorId       = [string]$failure.FullyQualifiedErrorId
        }
    }

    try {
        $seconds = [Math]::Max(1, [int][Math]::Ceiling(($deadline - [DateTime]::UtcNow).TotalSeconds))
        $job = Invoke-Command -Session $session -AsJob -ArgumentList $port, $seconds -ScriptBlock {
            param([int]$port, [int]$seconds)
            $httpPorts = @(80, 3000, 5000, 5985, 8000, 8008, 8080, 8888)
            $until = [DateTime]::UtcNow.AddSeconds($seconds)
            $outcome = 'timeout'
            $message = "no answer within $seconds s"
            while ($true) {
                $client = New-Object System.Net.Sockets.TcpClient
                try {
                    $left = [int][Math]::Max(200, ($until - [DateTime]::UtcNow).TotalMilliseconds)
                    $connect = $client.ConnectAsync('127.0.0.1', $port)
                    if ($connect.Wait($left)) {
                        $stream = $client.GetStream()
                        $stream.ReadTimeout = 3000
                        if ($httpPorts -contains $port) {
                            $request = [System.Text.Encoding]::ASCII.GetBytes("HEAD / HTTP/1.0`r`nHost: localhost`r`nConnection: close`r`n`r`n")
                            $stream.Write($request, 0, $request.Length)
                        }
                        $buffer = New-Object byte[] 512
                        $read = 0
                        try { $read = $stream.Read($buffer, 0, $buffer.Length) } catch { $read = 0 } # silent service: connected is the answer
                        $answer = $null
                        if ($read -gt 0) { $answer = [System.Text.Encoding]::ASCII.GetString($buffer, 0, $read) }
                        return @{ outcome = 'answered'; answer = $answer; message = $null }
                    }
                    $outcome = 'timeout'
                    $message = "no answer within $seconds s"
                }
                catch {
                    $inner = $_.Exception
                    while ($null -ne $inner.InnerException) { $inner = $inner.InnerException }
                    $outcome = 'refused'
                    $message = [string]$inner.Message
                }
                finally {
                    $client.Close()
                }
                if ([DateTime]::UtcNow -ge $until) { break }
                Start-Sleep -Seconds 1
            }
            @{ outcome = $outcome; answer = $null; message = $message }
        }
        if (Wait-Job -Job $job -Timeout ($seconds + 10)) {
            $result = Receive-Job -Job $job -ErrorAction Stop
        }
        else {
            Stop-Job -Job $job
            $result = @{ outcome = 'timeout'; answer = $null; message = "no answer within $timeout s" }
        }
        Remove-Job -Job $job -Force
    }
    finally {
        Remove-PSSession -Session $session
    }
    # Projected again: what comes back from a session carries PSComputerName and RunspaceId.
    [ordered]@{
        outcome       = [string]$result.outcome
        port          = $port
        answer        = $(if ($null -eq $result.answer) { $null } else { [string]$result.answer })
        message       = $(if ($null -eq $result.message) { $null } else { [string]$result.message })
        exceptionType = $null
        errorId       = $null
    }
}
