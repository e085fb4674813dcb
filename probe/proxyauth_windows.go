package probe

import (
	"fmt"

	"github.com/alexbrainman/sspi"
	"github.com/alexbrainman/sspi/negotiate"
	"github.com/alexbrainman/sspi/ntlm"
)

// On Windows the logged-on user authenticates to the proxy through SSPI, as browsers and
// WinHTTP do: Kerberos by Negotiate (falling back to NTLM inside it), or NTLM alone.
func init() { systemAuth = sspiContext }

func sspiContext(scheme, spn string) (securityContext, error) {
	switch scheme {
	case "Negotiate":
		cred, err := negotiate.AcquireCurrentUserCredentials()
		if err != nil {
			return nil, err
		}
		return &sspiNegotiate{cred: cred, spn: spn}, nil
	case "NTLM":
		cred, err := ntlm.AcquireCurrentUserCredentials()
		if err != nil {
			return nil, err
		}
		return &sspiNTLM{cred: cred}, nil
	}
	return nil, fmt.Errorf("SSPI has no %s package", scheme)
}

type sspiNegotiate struct {
	cred *sspi.Credentials
	spn  string
	cc   *negotiate.ClientContext
}

func (c *sspiNegotiate) Next(in []byte) ([]byte, error) {
	if c.cc == nil {
		cc, out, err := negotiate.NewClientContext(c.cred, c.spn)
		c.cc = cc
		return out, err
	}
	_, out, err := c.cc.Update(in)
	return out, err
}

func (c *sspiNegotiate) Close() {
	if c.cc != nil {
		c.cc.Release()
	}
	c.cred.Release()
}

type sspiNTLM struct {
	cred *sspi.Credentials
	cc   *ntlm.ClientContext
}

func (c *sspiNTLM) Next(in []byte) ([]byte, error) {
	if c.cc == nil {
		cc, out, err := ntlm.NewClientContext(c.cred)
		c.cc = cc
		return out, err
	}
	return c.cc.Update(in)
}

func (c *sspiNTLM) Close() {
	if c.cc != nil {
		c.cc.Release()
	}
	c.cred.Release()
}
