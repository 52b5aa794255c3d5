# tests/hypervisor/tcg_svm.sh — sourced by tests/hypervisor/nested/lib.sh and xen/lib.sh: what both
# benches need on the host (QEMU whose TCG emulates AMD-V, the tools jeos builds their appliance
# with, jeos and jeos-init).
#
# tcg_svm_check OUT   why they cannot run here, naming what is missing (empty when they can);
#                     OUT is the build folder holding jeos-init

tcg_svm_check() { # out
    local t
    for t in qemu-system-x86_64 mksquashfs grub-mkimage sha256sum; do
        command -v $t >/dev/null || { echo "$t not installed (make deps)"; return; }
    done
    [ -x "${JEOS:-}" ] || { echo "jeos not built ($JEOS)"; return; }
    [ -x "$1/jeos-init" ] || { echo "$1/jeos-init not built (make)"; return; }
    # QEMU's TCG must offer AMD-V with nested paging (qemu64,+svm,+npt)
    qemu-system-x86_64 -accel tcg -cpu help 2>/dev/null | grep -qw svm ||
        echo "this QEMU's TCG has no svm CPU flag"
}
