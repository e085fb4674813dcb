//go:build windows

package sysproxy

import (
	"golang.org/x/sys/windows/registry"
)

const internetSettings = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// Read reads the current user's Internet Settings; when they name nothing, WinHTTP's.
func Read() (Settings, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, internetSettings, registry.QUERY_VALUE)
	if err != nil {
		return Settings{}, err
	}
	defer k.Close()
	var w Windows
	if v, _, err := k.GetIntegerValue("ProxyEnable"); err == nil {
		w.ProxyEnable = uint32(v)
	}
	w.ProxyServer, _, _ = k.GetStringValue("ProxyServer")
	w.ProxyOverride, _, _ = k.GetStringValue("ProxyOverride")
	w.AutoConfigURL, _, _ = k.GetStringValue("AutoConfigURL")
	if c, err := registry.OpenKey(registry.CURRENT_USER, internetSettings+`\Connections`, registry.QUERY_VALUE); err == nil {
		w.ConnectionsBinary, _, _ = c.GetBinaryValue("DefaultConnectionSettings")
		c.Close()
	}
	s := ParseWindows(w)
	if !s.Empty() {
		return s, nil
	}
	m, err := registry.OpenKey(registry.LOCAL_MACHINE, internetSettings+`\Connections`, registry.QUERY_VALUE)
	if err != nil {
		return s, nil
	}
	defer m.Close()
	b, _, err := m.GetBinaryValue("WinHttpSettings")
	if err != nil {
		return s, nil
	}
	return ParseWinHTTP(b)
}
