package spec

import (
	"fmt"
	"strings"
)

// DefaultSysctls are set in every container that has a network namespace of
// its own, as podman does (containers.conf's default_sysctls): ping with
// ICMP datagram sockets for group 0, so `ping` works without CAP_NET_RAW.
var DefaultSysctls = map[string]string{"net.ipv4.ping_group_range": "0 0"}

// ipcSysctls are the kernel.* sysctls that belong to the IPC namespace
// (podman's and runc's list).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true,
	"kernel.sem": true, "kernel.shmall": true, "kernel.shmmax": true,
	"kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// ParseSysctls parses --sysctl KEY=VALUE values ('/' in a key is read as '.',
// as sysctl(8) does) and refuses keys that are not namespaced: those would
// change the host, which a container must not (and rootless cannot).
func ParseSysctls(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		k = strings.ReplaceAll(strings.TrimSpace(k), "/", ".")
		if !ok || k == "" {
			return nil, fmt.Errorf("bad --sysctl %q: write KEY=VALUE, such as net.ipv4.ip_forward=1", v)
		}
		for _, part := range strings.Split(k, ".") {
			if part == "" || part == ".." || strings.ContainsAny(part, " \t\n\x00") {
				return nil, fmt.Errorf("bad --sysctl %q: %q is not a sysctl name", v, k)
			}
		}
		if strings.ContainsAny(val, "\n\x00") {
			return nil, fmt.Errorf("bad --sysctl %q: the value contains a newline or NUL byte", v)
		}
		if _, err := SysctlNamespace(k); err != nil {
			return nil, err
		}
		out[k] = val
	}
	return out, nil
}

// SysctlNamespace names the namespace a sysctl belongs to ("net", "ipc",
// "uts"), or fails for one that is not namespaced.
func SysctlNamespace(k string) (string, error) {
	switch {
	case strings.HasPrefix(k, "net."):
		return "net", nil
	case ipcSysctls[k], strings.HasPrefix(k, "fs.mqueue."):
		return "ipc", nil
	case k == "kernel.hostname", k == "kernel.domainname":
		return "uts", nil
	}
	return "", fmt.Errorf("--sysctl %s is not namespaced (it would change the whole host); only net.*, fs.mqueue.*, kernel.msg*/sem/shm* and kernel.hostname/domainname can be set in a container", k)
}

// SysctlPath is the file under /proc/sys of a checked sysctl key.
func SysctlPath(k string) string {
	return "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
}
