package endpoints

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// PortRange is an inclusive range of ports; a single port has Lo == Hi.
type PortRange struct{ Lo, Hi uint16 }

func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// ParsePorts reads a port list such as "443", "443,9095", "20000-32767" or "any".
// "any" returns no ranges and any = true.
func ParsePorts(spec string) (ranges []PortRange, any bool, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "any" {
		return nil, true, nil
	}
	if spec == "" {
		return nil, false, quote.Errorf("empty port list")
	}
	for _, part := range strings.Split(spec, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		l, err := ParsePort(lo)
		if err != nil {
			return nil, false, err
		}
		h := l
		if isRange {
			if h, err = ParsePort(hi); err != nil {
				return nil, false, err
			}
			if h < l {
				return nil, false, quote.Errorf("port range %q runs backwards", part)
			}
		}
		ranges = append(ranges, PortRange{l, h})
	}
	return ranges, false, nil
}

// ParsePort reads one port number, 1 to 65535, in digits only: strconv would take "+80" (and
// the kernel, curl and nmap would not), which would print a rule for a port nobody typed.
func ParsePort(s string) (uint16, error) {
	t := strings.TrimSpace(s)
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > 65535 || strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, quote.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return uint16(n), nil
}
