#!/bin/bash
# `make test-vm`: builds urun and the cgroup tests, boots the VM test bed once,
# runs the tests there as the unprivileged test user (real systemd user
# manager, cgroup v2), then the scope and OOM tests again as root (system
# manager), then containerd driving urun (hack/oci/containerd.sh, as root),
# and ends with a count line. Exit status 0 only if all passed.
#
# Without qemu or debootstrap, and not root to install them, it prints SKIP
# and exits 0; CI runs as root and installs them (hack/vm/deps.sh).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
cd "$here/../.."
if [ "$(id -u)" -ne 0 ] && ! { command -v qemu-system-x86_64 && command -v debootstrap; } >/dev/null; then
	echo "SKIP: VM tests need qemu-system-x86 and debootstrap (run hack/vm/deps.sh as root)"
	exit 0
fi
"$here/deps.sh"
if [ "$(id -u)" -ne 0 ]; then
	img=$("$here/build-image.sh" 2>/dev/null) && [ -r "$img/id_vm" ] || {
		echo "SKIP: VM tests: the guest image is not built, or not readable by you (run make test-vm once as root)"
		exit 0
	}
fi
# shellcheck source=hack/vm/lib.sh
. "$here/lib.sh"
share=$(mktemp -d "${TMPDIR:-/tmp}/urun-vm-share.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/urun-vm-log.XXXXXX")
trap 'vm_stop; rm -rf "$share" "$log"' EXIT
"$here/stage.sh" "$share"
t0=$(date +%s)
vm_start "$share"
status=0
vm_exec sh -c 'cd /mnt/urun && ./guest-tests.sh' 2>&1 | tee "$log" || status=1
vm_root sh -c 'cd /mnt/urun && ./guest-tests.sh "TestHostMounts|TestScope|TestOOM|TestMemoryLimit|TestBadLimits"' 2>&1 | tee -a "$log" || status=1
# containerd as root with urun as the runc binary of its shim (issue 13): the
# guest's cgroups are its own, unlike the host's. Its PASS/FAIL lines are
# counted with the tests'.
vm_root sh -c 'cd /mnt/urun && hack/oci/containerd.sh /mnt/urun/urun' 2>&1 |
	sed -u -e 's|^PASS |--- PASS: containerd/|' -e 's|^FAIL |--- FAIL: containerd/|' | tee -a "$log" || status=1
# Last, since it changes the guest: a user manager without the cpu controller.
vm_root sh -c 'printf "[Service]\nDelegate=\nDelegate=memory pids\n" >/etc/systemd/system/user@.service.d/delegate.conf &&
	systemctl daemon-reload && systemctl restart user@'"$VM_UID"'.service &&
	for i in $(seq 100); do test -S /run/user/'"$VM_UID"'/bus && break; sleep 0.5; done' || status=1
vm_exec sh -c 'cd /mnt/urun && URUN_TEST_CPU_UNDELEGATED=1 URUN_BIN=/mnt/urun/urun URUN_MKROOTFS=/mnt/urun/mkrootfs.sh ./cgroup.test -test.v -test.run TestCPUNotDelegated && echo "ok  	cgroup (cpu not delegated)" || echo "FAIL	cgroup (cpu not delegated)"' 2>&1 | tee -a "$log"
pass=$(grep -c -- '^--- PASS' "$log" || true)
fail=$(grep -c -- '^--- FAIL' "$log" || true)
skip=$(grep -c -- '^--- SKIP' "$log" || true)
grep -q '^FAIL' "$log" && status=1
echo "vm: tests took $(($(date +%s) - t0)) s with the boot"
echo "vm: $pass passed, $fail failed, $skip skipped"
exit $status
