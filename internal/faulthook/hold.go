//go:build faulthook

package faulthook

import (
	"fmt"
	"os"
	"sync/atomic"

	"shop/models"
)

var frozen atomic.Bool

// AfterCommit holds the first order's write forever after its COMMIT,
// before the cache hears of it, and stops this instance's dispatcher: the
// test then kills the process, which is what a crash at that point leaves.
func AfterCommit(evs []models.Event) {
	for _, e := range evs {
		if e.Type == models.EventOrderPlaced {
			frozen.Store(true)
			fmt.Fprintf(os.Stderr, "faulthook: holding order %s after its commit\n", e.Subject)
			select {}
		}
	}
}

// Frozen reports whether the dispatcher must stop delivering.
func Frozen() bool { return frozen.Load() }
