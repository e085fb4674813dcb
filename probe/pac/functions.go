package pac

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// bind sets the standard PAC functions on vm. They follow the published definitions:
// Netscape's (as Mozilla's pacUtils implement them) and Microsoft's IPv6 extensions.
func (s *Script) bind(vm *goja.Runtime, cc *callCtx) {
	str := func(c goja.FunctionCall, i int) string { return c.Argument(i).String() }
	lookup := func(host string) []netip.Addr {
		if a, err := netip.ParseAddr(host); err == nil {
			return []netip.Addr{a.Unmap()}
		}
		if s.env.Resolve == nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(cc.ctx, time.Second)
		defer cancel()
		addrs, err := s.env.Resolve(ctx, host)
		if err != nil {
			return nil
		}
		return addrs
	}
	first4 := func(host string) (netip.Addr, bool) {
		for _, a := range lookup(host) {
			if a.Unmap().Is4() {
				return a.Unmap(), true
			}
		}
		return netip.Addr{}, false
	}
	set := func(name string, f func(goja.FunctionCall) goja.Value) { vm.Set(name, f) }

	set("isPlainHostName", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(!strings.Contains(str(c, 0), "."))
	})
	set("dnsDomainIs", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(strings.HasSuffix(str(c, 0), str(c, 1)))
	})
	set("localHostOrDomainIs", func(c goja.FunctionCall) goja.Value {
		host, hostdom := str(c, 0), str(c, 1)
		return vm.ToValue(host == hostdom || strings.HasPrefix(hostdom, host+"."))
	})
	set("isResolvable", func(c goja.FunctionCall) goja.Value {
		_, ok := first4(str(c, 0))
		return vm.ToValue(ok)
	})
	set("dnsResolve", func(c goja.FunctionCall) goja.Value {
		if a, ok := first4(str(c, 0)); ok {
			return vm.ToValue(a.String())
		}
		return goja.Null()
	})
	set("isInNet", func(c goja.FunctionCall) goja.Value {
		pat, errP := parseV4(str(c, 1))
		mask, errM := parseV4(str(c, 2))
		if errP != nil || errM != nil {
			return vm.ToValue(false)
		}
		host, err := parseV4(str(c, 0))
		if err != nil {
			a, ok := first4(str(c, 0))
			if !ok {
				return vm.ToValue(false)
			}
			host = v4(a)
		}
		return vm.ToValue(host&mask == pat&mask)
	})
	set("myIpAddress", func(c goja.FunctionCall) goja.Value {
		for _, a := range s.env.MyIPs {
			if a.Unmap().Is4() {
				return vm.ToValue(a.Unmap().String())
			}
		}
		return vm.ToValue("127.0.0.1")
	})
	set("dnsDomainLevels", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(strings.Count(str(c, 0), "."))
	})
	set("shExpMatch", func(c goja.FunctionCall) goja.Value {
		re, err := shExp(str(c, 1))
		return vm.ToValue(err == nil && re.MatchString(str(c, 0)))
	})
	set("weekdayRange", func(c goja.FunctionCall) goja.Value { return vm.ToValue(weekdayRange(s.env.Now(), args(c))) })
	set("dateRange", func(c goja.FunctionCall) goja.Value { return vm.ToValue(dateRange(s.env.Now(), args(c))) })
	set("timeRange", func(c goja.FunctionCall) goja.Value { return vm.ToValue(timeRange(s.env.Now(), args(c))) })
	set("alert", func(c goja.FunctionCall) goja.Value {
		if s.env.Alert != nil {
			s.env.Alert(str(c, 0))
		}
		return goja.Undefined()
	})

	// Microsoft's IPv6-aware extensions.
	set("isResolvableEx", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(len(lookup(str(c, 0))) > 0)
	})
	set("dnsResolveEx", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(joinAddrs(lookup(str(c, 0))))
	})
	set("isInNetEx", func(c goja.FunctionCall) goja.Value {
		p, err := netip.ParsePrefix(str(c, 1))
		if err != nil {
			return vm.ToValue(false)
		}
		return vm.ToValue(slices.ContainsFunc(lookup(str(c, 0)), func(a netip.Addr) bool { return p.Contains(a) }))
	})
	set("myIpAddressEx", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(joinAddrs(s.env.MyIPs))
	})
	set("sortIpAddressList", func(c goja.FunctionCall) goja.Value {
		var addrs []netip.Addr
		for _, f := range strings.Split(str(c, 0), ";") {
			a, err := netip.ParseAddr(strings.TrimSpace(f))
			if err != nil {
				return vm.ToValue(false)
			}
			addrs = append(addrs, a)
		}
		// IPv6 before IPv4, each in ascending order.
		slices.SortFunc(addrs, func(a, b netip.Addr) int {
			if a.Is4() != b.Is4() {
				if a.Is6() {
					return -1
				}
				return 1
			}
			return a.Compare(b)
		})
		return vm.ToValue(joinAddrs(addrs))
	})
	set("getClientVersion", func(c goja.FunctionCall) goja.Value { return vm.ToValue("1.0") })
}

func args(c goja.FunctionCall) []string {
	out := make([]string, len(c.Arguments))
	for i, a := range c.Arguments {
		out[i] = a.String()
	}
	return out
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.Unmap().String()
	}
	return strings.Join(s, ";")
}

var dottedQuad = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`)

func parseV4(s string) (uint32, error) {
	if !dottedQuad.MatchString(s) {
		return 0, strconv.ErrSyntax
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return 0, err
	}
	return v4(a), nil
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// shExp turns a shell expression into the regular expression Mozilla's shExpMatch builds:
// '.' literal, '*' any run, '?' any one character, anchored at both ends.
func shExp(pat string) (*regexp.Regexp, error) {
	pat = strings.ReplaceAll(pat, ".", `\.`)
	pat = strings.ReplaceAll(pat, "*", ".*")
	pat = strings.ReplaceAll(pat, "?", ".")
	return regexp.Compile("^" + pat + "$")
}

var wdays = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
var months = map[string]int{"JAN": 0, "FEB": 1, "MAR": 2, "APR": 3, "MAY": 4, "JUN": 5, "JUL": 6, "AUG": 7, "SEP": 8, "OCT": 9, "NOV": 10, "DEC": 11}

// gmt splits off a trailing "GMT" and picks the clock.
func gmt(now time.Time, a []string) (time.Time, []string) {
	if len(a) > 0 && a[len(a)-1] == "GMT" {
		return now.UTC(), a[:len(a)-1]
	}
	return now.Local(), a
}

func weekdayRange(now time.Time, a []string) bool {
	now, a = gmt(now, a)
	if len(a) < 1 {
		return false
	}
	day := func(s string) int {
		if d, ok := wdays[s]; ok {
			return d
		}
		return -1
	}
	wd1 := day(a[0])
	wd2 := wd1
	if len(a) == 2 {
		wd2 = day(a[1])
	}
	wd := int(now.Weekday())
	switch {
	case wd1 == -1 || wd2 == -1:
		return false
	case wd1 <= wd2:
		return wd1 <= wd && wd <= wd2
	default:
		return wd2 >= wd || wd >= wd1
	}
}

// jsInt is JavaScript's parseInt for the date functions: leading digits, or not a number.
func jsInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, _ := strconv.Atoi(s[:i])
	return n, true
}

// dateRange follows Mozilla's: a lone day, month or year compares that field; otherwise the
// first half of the arguments sets the start of a span that begins on January 1 of this year,
// the second half the end of one that ends on December 31, and today must lie within.
func dateRange(now time.Time, a []string) bool {
	now, a = gmt(now, a)
	if len(a) < 1 {
		return false
	}
	month := func(s string) int {
		if m, ok := months[s]; ok {
			return m
		}
		return -1
	}
	if len(a) == 1 {
		n, ok := jsInt(a[0])
		switch {
		case !ok:
			return int(now.Month())-1 == month(a[0])
		case n < 32:
			return now.Day() == n
		default:
			return now.Year() == n
		}
	}
	type ymd struct{ y, m, d, hh, mm, ss int }
	d1 := ymd{now.Year(), 0, 1, 0, 0, 0}
	d2 := ymd{now.Year(), 11, 31, 23, 59, 59}
	adjustMonth := false
	half := len(a) >> 1
	apply := func(d *ymd, s string, first bool) bool {
		n, ok := jsInt(s)
		switch {
		case !ok:
			m := month(s)
			if m < 0 {
				return false
			}
			d.m = m
		case n < 32:
			if first {
				adjustMonth = len(a) <= 2
			}
			d.d = n
		default:
			d.y = n
		}
		return true
	}
	for _, s := range a[:half] {
		if !apply(&d1, s, true) {
			return false
		}
	}
	for _, s := range a[half:] {
		if !apply(&d2, s, false) {
			return false
		}
	}
	if adjustMonth {
		d1.m, d2.m = int(now.Month())-1, int(now.Month())-1
	}
	loc := now.Location()
	t1 := time.Date(d1.y, time.Month(d1.m+1), d1.d, d1.hh, d1.mm, d1.ss, 0, loc)
	t2 := time.Date(d2.y, time.Month(d2.m+1), d2.d, d2.hh, d2.mm, d2.ss, 0, loc)
	return !now.Before(t1) && !now.After(t2)
}

// timeRange follows Mozilla's: one hour, an hour range, or hh mm [ss] to hh mm [ss] of today.
func timeRange(now time.Time, a []string) bool {
	now, a = gmt(now, a)
	num := func(s string) int { n, _ := jsInt(s); return n }
	switch len(a) {
	case 1:
		return now.Hour() == num(a[0])
	case 2:
		return num(a[0]) <= now.Hour() && now.Hour() <= num(a[1])
	case 4, 6:
		mid := len(a) >> 1
		// Four arguments: from now's second of the first minute to the end of the last.
		s1, s2 := now.Second(), 59
		if len(a) == 6 {
			s1, s2 = num(a[2]), num(a[5])
		}
		// Mozilla starts from now and sets the fields, so its milliseconds stay now's.
		y, m, d := now.Date()
		t1 := time.Date(y, m, d, num(a[0]), num(a[1]), s1, now.Nanosecond(), now.Location())
		t2 := time.Date(y, m, d, num(a[mid]), num(a[mid+1]), s2, now.Nanosecond(), now.Location())
		return !now.Before(t1) && !now.After(t2)
	}
	return false
}
