package kube

import (
	"fmt"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// DefaultProxySecret is the Secret the manifests take proxy credentials from (--proxy-secret).
const DefaultProxySecret = "fwcheck-proxy"

// Keys of the proxy Secret, as `kubectl create secret generic fwcheck-proxy
// --from-literal=user=... --from-literal=password=...` writes them.
const (
	SecretKeyUser     = "user"
	SecretKeyPassword = "password"
)

// ScrubArgs takes credentials out of a pod's command line, which anyone who can read the
// object (and its logs) reads: a --proxy URL's user:password becomes the Secret's
// FWCHECK_PROXY_USER and FWCHECK_PROXY_PASSWORD (proxyEnv), and the URL is kept without it.
// Any other argument that carries credentials is refused: a manifest prints no secret.
// found says whether the proxy URL carried credentials (the Secret must then exist).
func ScrubArgs(args []string) (clean []string, found bool, err error) {
	clean = make([]string, len(args))
	copy(clean, args)
	for i := 0; i < len(clean); i++ {
		a := clean[i]
		name, value, inline := flagOf(a)
		if name == "proxy" {
			at := i
			if !inline {
				if i+1 >= len(clean) {
					break
				}
				at, value = i+1, clean[i+1]
				i++
			}
			stripped, had := withoutUserinfo(value)
			if had {
				found = true
				if inline {
					clean[at] = "--proxy=" + stripped
				} else {
					clean[at] = stripped
				}
			}
			continue
		}
		if quote.Userinfo(a) != a {
			return nil, false, fmt.Errorf("%s carries credentials, which a manifest would print for anyone who can read it: "+
				"give proxy credentials in --proxy (they go to a Secret) and nothing secret elsewhere", quote.Value(a))
		}
	}
	return clean, found, nil
}

// flagOf splits "--name=value" or "-name" into its name and inline value.
func flagOf(a string) (name, value string, inline bool) {
	if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
		return "", "", false
	}
	name, value, inline = strings.Cut(strings.TrimLeft(a, "-"), "=")
	return name, value, inline
}

func withoutUserinfo(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if quote.Userinfo(s) != s {
			return quote.Userinfo(s), true // not a URL Go parses: its credentials go all the same
		}
		return s, false
	}
	u.User = nil
	return u.String(), true
}

// proxyEnv is the proxy credentials from the Secret, optional so that a pod without them
// (a proxy that needs none, a Kerberos ticket) still starts.
func proxyEnv(secret string) []corev1.EnvVar {
	t := true
	ref := func(key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key, Optional: &t}}
	}
	return []corev1.EnvVar{
		{Name: "FWCHECK_PROXY_USER", ValueFrom: ref(SecretKeyUser)},
		{Name: "FWCHECK_PROXY_PASSWORD", ValueFrom: ref(SecretKeyPassword)},
	}
}
