package model

import (
	"strconv"
	"strings"
)

// Signal is a signal number (x86_64 numbering, arch/x86/include/uapi/asm/signal.h).
type Signal int8

// The signals the model gives meaning to. Others are accepted by kill(2)
// and take the default "terminate" action.
const (
	SIGHUP   Signal = 1
	SIGINT   Signal = 2
	SIGQUIT  Signal = 3
	SIGABRT  Signal = 6
	SIGKILL  Signal = 9
	SIGUSR1  Signal = 10
	SIGSEGV  Signal = 11
	SIGUSR2  Signal = 12
	SIGPIPE  Signal = 13
	SIGALRM  Signal = 14
	SIGTERM  Signal = 15
	SIGCHLD  Signal = 17
	SIGCONT  Signal = 18
	SIGSTOP  Signal = 19
	SIGTSTP  Signal = 20
	SIGTTIN  Signal = 21
	SIGTTOU  Signal = 22
	SIGURG   Signal = 23
	SIGWINCH Signal = 28
	// NSIG is one past the highest signal number (_NSIG is 64, numbered 1..64).
	NSIG Signal = 65
)

var sigNames = [...]string{
	SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGABRT: "SIGABRT",
	SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
	SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGCHLD: "SIGCHLD",
	SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP", SIGTTIN: "SIGTTIN",
	SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGWINCH: "SIGWINCH",
}

// String returns "SIGKILL", or "SIG<n>" for signals without a name here.
func (s Signal) String() string {
	if s > 0 && int(s) < len(sigNames) && sigNames[s] != "" {
		return sigNames[s]
	}
	return "SIG" + strconv.Itoa(int(s))
}

// ParseSignal accepts "SIGKILL", "KILL" or "9".
func ParseSignal(s string) (Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n < int(NSIG) {
			return Signal(n), true
		}
		return 0, false
	}
	u := strings.ToUpper(s)
	if !strings.HasPrefix(u, "SIG") {
		u = "SIG" + u
	}
	for i, n := range sigNames {
		if n == u {
			return Signal(i), true
		}
	}
	return 0, false
}

// Sigset is a set of signals, bit (sig-1) for sig (sigset_t with _NSIG 64).
type Sigset uint64

func sigmask(s Signal) Sigset { return 1 << uint(s-1) }

// Has reports whether s is in the set.
func (m Sigset) Has(s Signal) bool { return m&sigmask(s) != 0 }

// With returns the set with s added.
func (m Sigset) With(s Signal) Sigset { return m | sigmask(s) }

// Without returns the set with s removed.
func (m Sigset) Without(s Signal) Sigset { return m &^ sigmask(s) }

// lowest returns the lowest-numbered signal in the set (next_signal() in
// kernel/signal.c prefers synchronous signals first; the model has none).
func (m Sigset) lowest() Signal {
	for s := Signal(1); s < NSIG; s++ {
		if m.Has(s) {
			return s
		}
	}
	return 0
}

// String lists the signals: "{SIGKILL,SIGTERM}".
func (m Sigset) String() string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for s := Signal(1); s < NSIG; s++ {
		if m.Has(s) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(s.String())
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Default actions (SIG_KERNEL_IGNORE_MASK, SIG_KERNEL_STOP_MASK in
// include/linux/signal.h). Everything else terminates.
var (
	sigKernelIgnore = Sigset(0).With(SIGCONT).With(SIGCHLD).With(SIGWINCH).With(SIGURG)
	sigKernelStop   = Sigset(0).With(SIGSTOP).With(SIGTSTP).With(SIGTTIN).With(SIGTTOU)
)

// sigKernelOnly is sig_kernel_only(): SIGKILL and SIGSTOP, which cannot be
// caught, blocked or ignored.
func sigKernelOnly(s Signal) bool { return s == SIGKILL || s == SIGSTOP }

// Disposition is what a thread group does with a signal (sighand->action).
type Disposition uint8

// Dispositions. HandlerExit is a handler that calls exit_group(0) — the
// usual graceful reaction to SIGTERM; HandlerReturn is one that returns.
const (
	SigDefault Disposition = iota
	SigIgnore
	HandlerReturn
	HandlerExit
)

var dispNames = [...]string{"SIG_DFL", "SIG_IGN", "handler", "handler-exit"}

// String names the disposition.
func (d Disposition) String() string {
	if int(d) < len(dispNames) {
		return dispNames[d]
	}
	return "disposition " + strconv.Itoa(int(d))
}
