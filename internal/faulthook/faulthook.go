//go:build !faulthook

// Package faulthook lets a fault test stop the program at a chosen point:
// built with -tags faulthook, AfterCommit holds an order's write between
// its COMMIT and the cache's invalidation, and the dispatcher stops, as a
// crash there would leave them. Without the tag every hook does nothing.
package faulthook

import "shop/models"

// AfterCommit runs between a write's COMMIT and its invalidation.
func AfterCommit([]models.Event) {}

// Frozen reports whether the dispatcher must stop delivering.
func Frozen() bool { return false }
