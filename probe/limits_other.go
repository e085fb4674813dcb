//go:build !unix

package probe

// fdLimit on systems without RLIMIT_NOFILE (Windows): sockets are handles, limited only by
// memory; 2048 keeps the default at maxConcurrency.
func fdLimit() uint64 { return 2048 + fdHeadroom }
