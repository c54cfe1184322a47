package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// interruptOnSignal returns a channel closed at the first SIGINT or
// SIGTERM, the name of that signal (set before the channel closes), and a
// function that stops listening. A second signal more than a second after
// the first ends the process as the signal would (Ctrl-C twice: stop
// now); one sooner is taken for the same request (timeout(1) and a
// terminal both deliver one signal to the process and its process group,
// so it may arrive twice).
func interruptOnSignal() (<-chan struct{}, *string, func()) {
	stop := make(chan struct{})
	name := new(string)
	ch := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		var first time.Time
		for {
			select {
			case sig := <-ch:
				if first.IsZero() {
					first = time.Now()
					*name = "SIGTERM"
					if sig == os.Interrupt {
						*name = "SIGINT"
					}
					close(stop)
					continue
				}
				if time.Since(first) > time.Second {
					signal.Stop(ch)
					if s, ok := sig.(syscall.Signal); ok {
						_ = syscall.Kill(os.Getpid(), s)
					}
					return
				}
			case <-done:
				return
			}
		}
	}()
	return stop, name, func() {
		signal.Stop(ch)
		close(done)
	}
}
