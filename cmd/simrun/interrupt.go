package main

import (
	"os"
	"os/signal"
	"syscall"
)

// interruptOnSignal returns a channel closed at the first SIGINT or
// SIGTERM, the name of that signal (set before the channel closes), and a
// function that stops listening. A second signal, once the first has been
// taken, gets the default action again: it ends the process.
func interruptOnSignal() (<-chan struct{}, *string, func()) {
	stop := make(chan struct{})
	name := new(string)
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			*name = "SIGTERM"
			if sig == os.Interrupt {
				*name = "SIGINT"
			}
			close(stop)
		case <-done:
		}
	}()
	return stop, name, func() {
		signal.Stop(ch)
		close(done)
	}
}
