package hostlinux

// sysSetns is setns(2) (include/uapi/asm-generic/unistd.h), which package
// syscall does not name.
const sysSetns = 268
