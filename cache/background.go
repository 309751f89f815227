package cache

import (
	"context"
	"sync"
	"time"
)

// background counts the work a component runs beyond the requests that
// started it, so that closing can wait for it. Once closed, no new work
// starts.
type background struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	stops  []context.CancelFunc
}

// enter registers one piece of work; false means the component is closed
// and the work must not start.
func (b *background) enter() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	return true
}

func (b *background) leave() { b.wg.Done() }

// onClose asks close to call stop first, for work that runs until told.
func (b *background) onClose(stop context.CancelFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stops = append(b.stops, stop)
}

// close stops new work, stops the work that runs until told, and waits for
// all of it, at most d; it reports whether everything finished.
func (b *background) close(d time.Duration) bool {
	b.mu.Lock()
	b.closed = true
	stops := b.stops
	b.stops = nil
	b.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
