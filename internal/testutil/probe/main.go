// Command probe plays the attacker for the boundary integration tests: a
// static binary the tests copy into the container's rootfs (busybox has no
// keyctl and cannot report an O_PATH handle's inode), and run on the host as
// the test user to set up a keyring. Each subcommand prints key=value lines:
//
//	probe exe PATH        what PATH (/proc/1/exe) leads to: its link, the
//	                      inode behind an O_PATH handle, and whether it can
//	                      be opened and written
//	probe keys SERIAL     what the container reaches of the session keyring
//	                      and of the host key SERIAL; adds a key of its own
//	probe keyhost CMD...  on the host: a fresh session keyring with a secret
//	                      key in it, then CMD (@SERIAL@ in it replaced by the
//	                      key's serial), then what the keyring holds after
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Key descriptions the tests look for.
const (
	hostKey      = "urun-test-secret"
	hostPayload  = "s3cret-payload"
	containerKey = "urun-container-key"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: probe exe PATH | keys SERIAL | keyhost CMD...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "exe":
		exe(os.Args[2])
	case "keys":
		keys(os.Args[2])
	case "keyhost":
		os.Exit(keyhost(os.Args[2:]))
	default:
		fmt.Fprintln(os.Stderr, "probe: unknown subcommand", os.Args[1])
		os.Exit(2)
	}
}

func result(err error, ok string) string {
	if err != nil {
		return "error:" + err.Error()
	}
	return ok
}

func exe(path string) {
	link, err := os.Readlink(path)
	fmt.Printf("link=%s\n", result(err, link))
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err == nil {
		var st unix.Stat_t
		if err = unix.Fstat(fd, &st); err == nil {
			fmt.Printf("devino=%d:%d\n", st.Dev, st.Ino)
		}
		// What stops a write once the file is no longer running (and
		// ETXTBSY is gone): a read-only mount under the handle.
		var fs unix.Statfs_t
		if unix.Fstatfs(fd, &fs) == nil {
			fmt.Printf("rdonly=%v\n", fs.Flags&unix.ST_RDONLY != 0)
		}
		// The CVE's second step: reopen the handle for writing.
		w, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
		fmt.Printf("reopen-write=%s\n", result(err, "opened"))
		if err == nil {
			_, err = unix.Pwrite(w, []byte{0}, 0)
			fmt.Printf("write=%s\n", result(err, "written"))
			unix.Close(w)
		}
		unix.Close(fd)
	}
	if err != nil {
		fmt.Printf("opath=error:%v\n", err)
	}
	w, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	fmt.Printf("open-write=%s\n", result(err, "opened"))
	if err == nil {
		unix.Close(w)
	}
}

func keys(serial string) {
	id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	fmt.Printf("session=%s\n", result(err, strconv.Itoa(id)))
	found, err := unix.KeyctlSearch(unix.KEY_SPEC_SESSION_KEYRING, "user", hostKey, 0)
	fmt.Printf("search=%s\n", result(err, strconv.Itoa(found)))
	if n, err := strconv.Atoi(serial); err == nil {
		buf := make([]byte, 256)
		got, err := unix.KeyctlBuffer(unix.KEYCTL_READ, n, buf, 0)
		if err == nil && got <= len(buf) {
			fmt.Printf("read=%s\n", buf[:got])
		} else {
			fmt.Printf("read=%s\n", result(err, "truncated"))
		}
	}
	proc, _ := os.ReadFile("/proc/keys")
	fmt.Printf("prockeys-payload=%v\n", strings.Contains(string(proc), hostPayload))
	added, err := unix.AddKey("user", containerKey, []byte("x"), unix.KEY_SPEC_SESSION_KEYRING)
	fmt.Printf("add=%s\n", result(err, strconv.Itoa(added)))
}

func keyhost(cmdline []string) int {
	// A keyring of this run's own, so the test user's real session keyring
	// (if any) is not touched.
	session, err := unix.KeyctlJoinSessionKeyring("urun-keyring-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe: joining a session keyring:", err)
		return 2
	}
	serial, err := unix.AddKey("user", hostKey, []byte(hostPayload), unix.KEY_SPEC_SESSION_KEYRING)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe: adding the key:", err)
		return 2
	}
	args := make([]string, len(cmdline))
	for i, a := range cmdline {
		args[i] = strings.ReplaceAll(a, "@SERIAL@", strconv.Itoa(serial))
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	status := 0
	if err != nil {
		status = 125
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		}
	}
	fmt.Printf("hostsession=%d\nhostserial=%d\n", session, serial)
	// What the host's session keyring holds now: only the secret, or also
	// a key the container added.
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_SESSION_KEYRING, buf, 0)
	var descs []string
	for i := 0; err == nil && i+4 <= n && i+4 <= len(buf); i += 4 {
		id := int(int32(binary.NativeEndian.Uint32(buf[i:])))
		if d, derr := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id); derr == nil {
			descs = append(descs, d[strings.LastIndex(d, ";")+1:])
		}
	}
	fmt.Printf("hostring=%s\n", result(err, strings.Join(descs, ",")))
	return status
}
