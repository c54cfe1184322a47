package model

import "strconv"

// Errno is a Linux error number as a system call of the simulated kernel
// returns it (the positive value; the kernel returns -errno). The numbers
// are those of include/uapi/asm-generic/errno-base.h and errno.h on
// x86_64, so a trace can be compared with strace output of a real run.
type Errno int32

// The errno values the model produces. ERESTARTNOINTR is kernel-internal
// (include/linux/errno.h): userspace never sees it, the system call is
// restarted after the signal that caused it has been handled.
const (
	OK             Errno = 0
	EPERM          Errno = 1
	ENOENT         Errno = 2
	ESRCH          Errno = 3
	EINTR          Errno = 4
	E2BIG          Errno = 7
	EBADF          Errno = 9
	ECHILD         Errno = 10
	EAGAIN         Errno = 11
	ENOMEM         Errno = 12
	EACCES         Errno = 13
	EBUSY          Errno = 16
	EEXIST         Errno = 17
	ENODEV         Errno = 19
	ENOTDIR        Errno = 20
	EINVAL         Errno = 22
	ENOSPC         Errno = 28
	ERANGE         Errno = 34
	EOPNOTSUPP     Errno = 95
	ERESTARTNOINTR Errno = 513
)

var errnoNames = map[Errno]string{
	OK: "OK", EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR",
	E2BIG: "E2BIG", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN",
	ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST",
	ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EINVAL: "EINVAL", ENOSPC: "ENOSPC",
	ERANGE: "ERANGE", EOPNOTSUPP: "EOPNOTSUPP", ERESTARTNOINTR: "ERESTARTNOINTR",
}

// String returns the kernel's name of the errno ("EINVAL"), or "errno N".
func (e Errno) String() string {
	if s, ok := errnoNames[e]; ok {
		return s
	}
	return "errno " + strconv.Itoa(int(e))
}

// Error makes Errno an error; the text is the kernel name.
func (e Errno) Error() string { return e.String() }

// ParseErrno returns the Errno whose kernel name is s ("EBUSY").
func ParseErrno(s string) (Errno, bool) {
	for e, n := range errnoNames {
		if n == s {
			return e, true
		}
	}
	return 0, false
}
