package probe

// SecurityContext and SetSystemAuth let the external tests play the operating system's
// security provider (SSPI), which only Windows has.
type SecurityContext = securityContext

func SetSystemAuth(f func(scheme, spn string) (SecurityContext, error)) (restore func()) {
	old := systemAuth
	systemAuth = f
	return func() { systemAuth = old }
}
