package probe

import (
	"context"
	"time"

	"golang.org/x/sync/semaphore"
)

// slotPool bounds the probes in flight across the general path and the connect engine.
type slotPool struct {
	sem *semaphore.Weighted
}

func newSlotPool(n int) *slotPool { return &slotPool{sem: semaphore.NewWeighted(int64(n))} }

func (s *slotPool) tryAcquire() bool { return s.sem.TryAcquire(1) }

// acquire waits for a slot; false if ctx ended first.
func (s *slotPool) acquire(ctx context.Context) bool { return s.sem.Acquire(ctx, 1) == nil }

// acquireWithin waits at most d for a slot.
func (s *slotPool) acquireWithin(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return s.sem.Acquire(ctx, 1) == nil
}

func (s *slotPool) release() { s.sem.Release(1) }
