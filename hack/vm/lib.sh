# shellcheck shell=bash
# The VM test bed's boot and command channel, sourced by run.sh and bench.sh.
#
#   vm_start SHARE_DIR   boot the cached guest (snapshot=on: every boot is pristine),
#                        share SHARE_DIR read-only at /mnt/urun, wait until the test
#                        user's systemd manager and its bus are up
#   vm_exec CMD...       run CMD (argv, quoted for the remote shell) as the test user;
#                        returns its exit status, prints its output
#   vm_root CMD...       the same as root
#   vm_stop              stop qemu by the pid in its pidfile (idempotent)
#
#   vm_attach RUN_DIR    use a VM that up.sh left running (its run directory)
#
# Callers must `trap vm_stop EXIT`. A watchdog also stops qemu if the caller dies
# without running its trap (SIGKILL), since a daemonized qemu would survive it.

VM_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
VM_USER=uruntest
VM_UID=1001
VM_BOOT_TIMEOUT=${URUN_VM_BOOT_TIMEOUT:-300}
VM_MEM=${URUN_VM_MEM:-2048}
VM_SMP=${URUN_VM_SMP:-2}
VM_RUN=
VM_PORT=
VM_IMG=

vm_log() { echo "vm: $*" >&2; }

# vm_accel prints qemu's accelerator flags. /dev/kvm on the machines here is
# PVM (kvm_pvm), which cannot boot a stock Debian kernel: use KVM only when it
# is the hardware kind.
vm_accel() {
	if [ "${URUN_VM_KVM:-auto}" != no ] && [ -w /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ] &&
		{ [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; }; then
		echo "-accel kvm -cpu host"
	else
		echo "-accel tcg,thread=multi -cpu max"
	fi
}

# vm_free_port prints a TCP port on 127.0.0.1 that nothing listens on now; qemu
# may still lose a race for it, so vm_start retries on a bind failure.
vm_free_port() {
	local p hex
	while :; do
		p=$((20000 + RANDOM % 20000))
		hex=$(printf ':%04X ' "$p")
		if ! grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

vm_ssh_opts() {
	echo "-i $VM_IMG/id_vm -p $VM_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" \
		"-o LogLevel=ERROR -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=15" \
		"-o ControlMaster=auto -o ControlPath=$VM_RUN/ctl-%r -o ControlPersist=yes"
}

# vm_quote turns argv into one string the remote login shell splits back into
# the same argv.
vm_quote() {
	local out='' a
	for a in "$@"; do
		out+=$(printf '%q ' "$a")
	done
	echo "$out"
}

vm_exec_as() {
	local user=$1
	shift
	# shellcheck disable=SC2046
	ssh $(vm_ssh_opts) "$user@127.0.0.1" -- "$(vm_quote "$@")"
}
vm_exec() { vm_exec_as "$VM_USER" "$@"; }
vm_root() { vm_exec_as root "$@"; }

vm_start() {
	local share=$1 try qemu_err t0 accel
	share=$(readlink -f "$share")
	[ -d "$share" ] || { vm_log "share directory $1 does not exist"; return 1; }
	VM_IMG=$("$VM_DIR/build-image.sh") || return 1
	VM_RUN=$(mktemp -d "${TMPDIR:-/tmp}/urun-vm.XXXXXX")
	t0=$(date +%s)
	accel=$(vm_accel)
	for try in 1 2 3 4 5; do
		VM_PORT=$(vm_free_port)
		# shellcheck disable=SC2086
		if qemu-system-x86_64 $accel -smp "$VM_SMP" -m "$VM_MEM" \
			-nodefaults -display none -no-reboot \
			-serial "file:$VM_RUN/console.log" \
			-daemonize -pidfile "$VM_RUN/qemu.pid" \
			-kernel "$VM_IMG/vmlinuz" -initrd "$VM_IMG/initrd.img" \
			-append "console=ttyS0 root=/dev/vda rootfstype=ext4 rw fsck.mode=skip systemd.unified_cgroup_hierarchy=1 net.ifnames=0 panic=-1 quiet" \
			-drive "file=$VM_IMG/rootfs.raw,format=raw,if=virtio,snapshot=on" \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$VM_PORT-:22" -device virtio-net-pci,netdev=n0 \
			-virtfs "local,path=$share,mount_tag=urun,security_model=none,readonly=on,id=urun" \
			2>"$VM_RUN/qemu.err"; then
			break
		fi
		qemu_err=$(cat "$VM_RUN/qemu.err")
		rm -f "$VM_RUN/qemu.pid"
		if ! grep -qi 'hostfwd\|address already in use' <<<"$qemu_err" || [ "$try" = 5 ]; then
			vm_log "qemu failed to start: $qemu_err"
			return 1
		fi
	done
	[ -n "${URUN_VM_NO_WATCHDOG:-}" ] || vm_watchdog
	printf 'VM_IMG=%q\nVM_PORT=%q\nVM_RUN=%q\n' "$VM_IMG" "$VM_PORT" "$VM_RUN" >"$VM_RUN/env"
	vm_log "booting (${accel%% *} ${accel#* }, port $VM_PORT, console $VM_RUN/console.log)"
	local deadline=$((t0 + VM_BOOT_TIMEOUT))
	while :; do
		if vm_root sh -c "systemctl is-active --quiet user@$VM_UID.service && test -S /run/user/$VM_UID/bus" \
			2>/dev/null; then
			break
		fi
		if ! vm_alive; then
			vm_log "qemu exited during boot; console:"
			tail -n 40 "$VM_RUN/console.log" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			vm_log "guest not ready after $VM_BOOT_TIMEOUT s (URUN_VM_BOOT_TIMEOUT); console:"
			tail -n 40 "$VM_RUN/console.log" >&2
			return 1
		fi
		sleep 2
	done
	vm_root sh -c 'modprobe 9pnet_virtio && mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 urun /mnt/urun' ||
		{ vm_log "could not mount the share in the guest"; return 1; }
	vm_log "ready in $(($(date +%s) - t0)) s"
}

vm_alive() {
	[ -s "$VM_RUN/qemu.pid" ] && kill -0 "$(cat "$VM_RUN/qemu.pid")" 2>/dev/null
}

# vm_watchdog stops qemu once the calling shell is gone, whatever way it went.
vm_watchdog() {
	local parent=$$
	setsid bash -c '
		while kill -0 "$1" 2>/dev/null; do sleep 2; done
		[ -s "$2/qemu.pid" ] && kill -9 "$(cat "$2/qemu.pid")" 2>/dev/null
		sleep 1
		rm -rf "$2"' vm-watchdog "$parent" "$VM_RUN" </dev/null >/dev/null 2>&1 &
}

vm_stop() {
	[ -n "$VM_RUN" ] && [ -d "$VM_RUN" ] || return 0
	local u
	for u in root "$VM_USER"; do
		[ -S "$VM_RUN/ctl-$u" ] || continue
		# shellcheck disable=SC2046
		ssh $(vm_ssh_opts) -O exit "$u@127.0.0.1" 2>/dev/null || true
	done
	if [ -s "$VM_RUN/qemu.pid" ]; then
		local pid _
		pid=$(cat "$VM_RUN/qemu.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	if [ -n "${URUN_VM_KEEP_LOG:-}" ]; then
		cp "$VM_RUN/console.log" "$URUN_VM_KEEP_LOG" 2>/dev/null || true
	fi
	rm -rf "$VM_RUN"
	VM_RUN=
}

vm_attach() {
	[ -f "$1/env" ] || { vm_log "$1 is not a running VM's directory (see hack/vm/up.sh)"; return 1; }
	# shellcheck disable=SC1091
	. "$1/env"
}
