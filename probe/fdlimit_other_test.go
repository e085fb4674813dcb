//go:build !linux

package probe_test

// childMain: the out-of-descriptors child is Linux-only (fdlimit_test.go).
func childMain() bool { return false }
