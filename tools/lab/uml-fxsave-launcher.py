#!/usr/bin/env python3
"""Runs the user-mode-linux kernel with its XSTATE probe refused, so it keeps guest FPU state
with the legacy FXSAVE requests.

Why: user-mode-linux 6.1 saves a guest's FPU registers with PTRACE_SETREGSET(NT_X86_XSTATE) and a
fixed 832-byte buffer; on a host whose XSAVE area is larger (AVX-512, AMX) the host kernel refuses
any size but its own (EFAULT) and the guest's init dies ("ptrace set fp regs failed, errno = 14").
When its probe PTRACE_GETREGSET(NT_X86_XSTATE) fails, the kernel falls back to
PTRACE_GETFPREGS/SETFPREGS, which work everywhere but carry only x87/SSE state: the guest must not
use AVX registers across threads (the lab sets GLIBC_TUNABLES, GODEBUG and Node flags for that).

Usage: uml-fxsave-launcher.py /usr/bin/linux.uml ARGS...  (a seccomp filter, then exec)
"""
import ctypes
import os
import struct
import sys

AUDIT_ARCH_X86_64 = 0xC000003E
NR_PTRACE = 101
PTRACE_GETREGSET = 0x4204
NT_X86_XSTATE = 0x202
EIO = 5
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
# struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 * i (low 32 bits first)
OFF_NR, OFF_ARCH, OFF_ARG0, OFF_ARG2 = 0, 4, 16, 32


def stmt(code, k):
    return struct.pack("HBBI", code, 0, 0, k)


def jeq(k, skip_if_not):
    return struct.pack("HBBI", BPF_JEQ_K, 0, skip_if_not, k)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: uml-fxsave-launcher.py KERNEL [ARGS...]")
    program = b"".join(
        [
            stmt(BPF_LD_W_ABS, OFF_ARCH),
            jeq(AUDIT_ARCH_X86_64, 7),
            stmt(BPF_LD_W_ABS, OFF_NR),
            jeq(NR_PTRACE, 5),
            stmt(BPF_LD_W_ABS, OFF_ARG0),
            jeq(PTRACE_GETREGSET, 3),
            stmt(BPF_LD_W_ABS, OFF_ARG2),
            jeq(NT_X86_XSTATE, 1),
            stmt(BPF_RET_K, SECCOMP_RET_ERRNO | EIO),
            stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
        ]
    )

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buf = ctypes.create_string_buffer(program)
    fprog = SockFprog(len(program) // 8, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit("uml-fxsave-launcher: PR_SET_NO_NEW_PRIVS failed: errno %d" % ctypes.get_errno())
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        sys.exit("uml-fxsave-launcher: seccomp filter refused: errno %d" % ctypes.get_errno())
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
