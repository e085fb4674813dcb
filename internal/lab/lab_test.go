package lab

// The e2e lab: a closed network of namespaces (client, router, proxy, cloud) with a real kernel
// firewall (nftables in the router and the client), squid as a proxy and dnsmasq as DNS, and
// fwcheck run as a binary inside the client namespace against a catalog rewritten into the
// lab's addresses. It runs when the test process is root and has the tools; otherwise it skips
// and says why.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/internal/testtier"
)

// Lab namespaces and links carry this prefix; a run first removes what an interrupted run
// left behind, by these names.
const labPrefix = "fwlab-"

var (
	nsClient = labPrefix + "client"
	nsRouter = labPrefix + "router"
	nsProxy  = labPrefix + "proxy"
	nsCloud  = labPrefix + "cloud"
	// nsClient2 is a second client behind its own rules: another node of `fwcheck nodes`.
	nsClient2 = labPrefix + "client2"
)

// Lab addresses, all in 198.18.0.0/15 (the benchmark range).
const (
	clientAddr  = "198.18.1.2"
	client2Addr = "198.18.4.2"
	proxyAddr   = "198.18.3.2"
	cloudAddr   = "198.18.2.2" // also dnsmasq
	blockPageIP = "198.18.250.1"
	stallPort   = 31998
)

// The proxies that authenticate, and the Kerberos realm of the Negotiate one.
const (
	ntlmSquidPort      = "3130"
	negotiateSquidPort = "3129"
	labProxyName       = "proxy.lab.test"
	labKDCName         = "kdc.lab.test"
	labRealm           = "LAB.TEST"
	labPACPort         = 8080
	deadProxyPort      = "3199" // nothing listens: the first, dead entry of the PAC files' lists
)

// labServerEnv makes the test binary the cloud's services (see labServe).
const labServerEnv = "FWCHECK_LAB_SERVER"

type lab struct {
	dir     string
	bin     string
	catalog string // the rewritten catalog file (edition 2018-04-18)
	// catalog2025 is the 2025-07-08 edition rewritten the same way, with its own address map.
	catalog2025 string
	addrMap2025 map[string]string
	ca          string // the lab CA (PEM), trusted by fwcheck via SSL_CERT_FILE
	names       map[string]string
	addrMap     map[string]string // catalog address or CIDR -> lab address or CIDR
	procs       []*exec.Cmd
	// kerberos is true when the KDC and the Negotiate squid run (krb5-kdc is installed);
	// krb5conf is the realm's krb5.conf for the client.
	kerberos bool
	krb5conf string
}

var (
	labOnce  sync.Once
	theLab   *lab
	labErr   string
	canNetns sync.Once
	netnsErr string
)

// needLab returns the lab, building it on first use, or skips the test.
func needLab(t *testing.T) *lab {
	t.Helper()
	testtier.Need(t, "lab", testtier.NotRoot("the e2e lab creates network namespaces"),
		testtier.MissingTool("iproute2 nftables squid dnsmasq-base", "ip", "nft", "squid", "dnsmasq"))
	canNetns.Do(func() {
		probe := labPrefix + "probe"
		exec.Command("ip", "netns", "delete", probe).Run()
		if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
			netnsErr = fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(out)))
			return
		}
		exec.Command("ip", "netns", "delete", probe).Run()
	})
	if netnsErr != "" {
		testtier.Skip(t, "lab", fmt.Sprintf("the e2e lab cannot create network namespaces here (a container without CAP_SYS_ADMIN?): %s", netnsErr))
	}
	labOnce.Do(func() {
		l, err := startLab()
		if err != nil {
			labErr = err.Error()
			return
		}
		theLab = l
	})
	if theLab == nil {
		t.Fatalf("the lab did not start: %s", labErr)
	}
	return theLab
}

func sh(args ...string) (string, error) {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func inNS(ns string, args ...string) (string, error) {
	return sh(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// teardownLab removes the lab's namespaces and files by name, and ends the processes left in
// them (the services an interrupted run started), by pid. Safe to call when none exist.
func teardownLab() {
	for _, ns := range []string{nsClient, nsClient2, nsRouter, nsProxy, nsCloud} {
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
					if p, err := os.FindProcess(pid); err == nil {
						p.Kill()
					}
				}
			}
		}
		exec.Command("ip", "netns", "delete", ns).Run()
		os.RemoveAll(filepath.Join("/etc/netns", ns))
	}
}

func startLab() (*lab, error) {
	teardownLab() // what an interrupted run left
	dir, err := os.MkdirTemp("", "fwlab")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	l := &lab{dir: dir}
	if err := l.build(); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

func (l *lab) build() error {
	steps := [][]string{}
	for _, ns := range []string{nsClient, nsClient2, nsRouter, nsProxy, nsCloud} {
		steps = append(steps, []string{"ip", "netns", "add", ns}, []string{"ip", "-n", ns, "link", "set", "lo", "up"})
	}
	link := func(a, aIf, aAddr, b, bIf, bAddr string) {
		steps = append(steps,
			[]string{"ip", "link", "add", aIf, "netns", a, "type", "veth", "peer", "name", bIf, "netns", b},
			[]string{"ip", "-n", a, "addr", "add", aAddr + "/24", "dev", aIf},
			[]string{"ip", "-n", b, "addr", "add", bAddr + "/24", "dev", bIf},
			[]string{"ip", "-n", a, "link", "set", aIf, "up"},
			[]string{"ip", "-n", b, "link", "set", bIf, "up"})
	}
	link(nsClient, "fwl-c", clientAddr, nsRouter, "fwl-rc", "198.18.1.1")
	link(nsCloud, "fwl-k", cloudAddr, nsRouter, "fwl-rk", "198.18.2.1")
	link(nsProxy, "fwl-p", proxyAddr, nsRouter, "fwl-rp", "198.18.3.1")
	link(nsClient2, "fwl-c2", client2Addr, nsRouter, "fwl-rc2", "198.18.4.1")
	steps = append(steps,
		[]string{"ip", "-n", nsClient, "route", "add", "default", "via", "198.18.1.1"},
		[]string{"ip", "-n", nsProxy, "route", "add", "default", "via", "198.18.3.1"},
		[]string{"ip", "-n", nsClient2, "route", "add", "default", "via", "198.18.4.1"},
		[]string{"ip", "-n", nsCloud, "route", "add", "default", "via", "198.18.2.1"},
		// The cloud answers on whole blocks (AnyIP): every catalog address lands here.
		[]string{"ip", "-n", nsCloud, "route", "add", "local", "198.18.128.0/17", "dev", "lo"},
		[]string{"ip", "-n", nsCloud, "route", "add", "local", "198.19.0.0/16", "dev", "lo"},
		[]string{"ip", "-n", nsRouter, "route", "add", "198.18.128.0/17", "via", cloudAddr},
		[]string{"ip", "-n", nsRouter, "route", "add", "198.19.0.0/16", "via", cloudAddr},
		[]string{"ip", "netns", "exec", nsRouter, "sysctl", "-qw", "net.ipv4.ip_forward=1"},
		// The router's REJECTs must not be rate-limited away during a scenario.
		[]string{"ip", "netns", "exec", nsRouter, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"},
	)
	for _, s := range steps {
		if _, err := sh(s...); err != nil {
			return err
		}
	}
	// The client resolves through the lab's dnsmasq (ip netns exec bind-mounts this file).
	for _, ns := range []string{nsClient, nsClient2} {
		os.MkdirAll(filepath.Join("/etc/netns", ns), 0o755)
		os.WriteFile(filepath.Join("/etc/netns", ns, "resolv.conf"), []byte("nameserver "+cloudAddr+"\noptions timeout:1 attempts:1\n"), 0o644)
	}

	l.bin = filepath.Join(l.dir, "fwcheck")
	build := exec.Command("go", "build", "-o", l.bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v: %s", err, out)
	}
	if err := l.writeCatalog(); err != nil {
		return err
	}
	if err := l.writeCerts(); err != nil {
		return err
	}
	l.writePACFiles()
	_, err := exec.LookPath("krb5kdc")
	l.kerberos = err == nil
	if err := l.startServices(); err != nil {
		return err
	}
	return nil
}

func (l *lab) stop() {
	for _, p := range l.procs {
		if p.Process != nil {
			p.Process.Kill()
			p.Wait()
		}
	}
	teardownLab()
	os.RemoveAll(l.dir)
}

var ipOrCIDR = regexp.MustCompile(`\b(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?\b`)

// rewriteCatalog rewrites `fwcheck catalog export --edition E` into the lab: every single
// address into 198.18.128.0/17 from firstIP on, every range into an aligned block of
// 198.19.0.0/16 of the same size (a /20 or larger shrinks to a /24). Host names stay, and
// dnsmasq serves them; names the catalog gives no address for answer at the API's address.
func (l *lab) rewriteCatalog(edition, file, firstIP string) (map[string]string, error) {
	out, err := exec.Command(l.bin, "catalog", "export", "--edition", edition).Output()
	if err != nil {
		return nil, fmt.Errorf("catalog export: %v", err)
	}
	addrMap := map[string]string{}
	nextIP := netip.MustParseAddr(firstIP)
	nextBlock := netip.MustParseAddr("198.19.0.0")
	rewritten := ipOrCIDR.ReplaceAllStringFunc(string(out), func(m string) string {
		if v, ok := addrMap[m]; ok {
			return v
		}
		var v string
		if !strings.Contains(m, "/") {
			v = nextIP.String()
			nextIP = nextIP.Next()
		} else {
			p := netip.MustParsePrefix(m)
			bits := max(p.Bits(), 24)
			// Align the next block to its size.
			size := uint32(1) << (32 - bits)
			a := nextBlock.As4()
			n := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]))
			n = (n + size - 1) &^ (size - 1)
			start := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
			v = netip.PrefixFrom(start, bits).String()
			n += size
			nextBlock = netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		}
		if a, _, _ := strings.Cut(v, "/"); !netip.MustParsePrefix("198.18.0.0/15").Contains(netip.MustParseAddr(a)) {
			panic("the lab rewrite left 198.18.0.0/15: " + v) // never an address outside the lab
		}
		addrMap[m] = v
		return v
	})
	if err := os.WriteFile(file, []byte(rewritten), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command(l.bin, "catalog", "validate", file).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("the lab catalog does not validate: %s", out)
	}
	// Names: every host of the catalog at its first documented (rewritten) address, or one
	// inside its first range.
	hostRe := regexp.MustCompile(`(?m)^  - name: (\S+)\n    addresses: \[([^,\]]+)`)
	for _, m := range hostRe.FindAllStringSubmatch(rewritten, -1) {
		a := m[2]
		if p, err := netip.ParsePrefix(a); err == nil {
			a = p.Addr().Next().String()
		}
		l.names[m[1]] = a
	}
	return addrMap, nil
}

// writeCatalog writes the lab's catalogs of both editions.
func (l *lab) writeCatalog() error {
	// The API hosts and the names the 2025 page gives no address for answer at one address.
	l.names = map[string]string{}
	for _, n := range []string{"containers.bluemix.net", "containers.cloud.ibm.com", "cloud.ibm.com", "icr.io", "us.icr.io",
		"iam.cloud.ibm.com", "iam.bluemix.net", "c3.us-south.containers.cloud.ibm.com"} {
		l.names[n] = "198.18.129.1"
	}
	// The proxies are found by name, as the Kerberos SPN needs (HTTP/<proxy as given>).
	l.names[labProxyName] = proxyAddr
	l.names[labKDCName] = cloudAddr
	var err error
	l.catalog = filepath.Join(l.dir, "catalog.yaml")
	if l.addrMap, err = l.rewriteCatalog("2018-04-18", l.catalog, "198.18.130.1"); err != nil {
		return err
	}
	l.catalog2025 = filepath.Join(l.dir, "catalog-2025.yaml")
	l.addrMap2025, err = l.rewriteCatalog("2025-07-08", l.catalog2025, "198.18.140.1")
	return err
}

// addr returns the lab address a 2018 catalog address was rewritten to.
func (l *lab) addr(t *testing.T, catalogAddr string) string {
	t.Helper()
	return rewritten(t, l.addrMap, catalogAddr, "2018-04-18")
}

// addr2025 returns the lab address a 2025 catalog address was rewritten to.
func (l *lab) addr2025(t *testing.T, catalogAddr string) string {
	t.Helper()
	return rewritten(t, l.addrMap2025, catalogAddr, "2025-07-08")
}

func rewritten(t *testing.T, m map[string]string, catalogAddr, edition string) string {
	t.Helper()
	v, ok := m[catalogAddr]
	if !ok {
		t.Fatalf("%s is not in the %s catalog", catalogAddr, edition)
	}
	return v
}

func (l *lab) writeCerts() error {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fwcheck lab CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var dns []string
	for n := range l.names {
		dns = append(dns, n)
	}
	sort.Strings(dns)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fwcheck lab service"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: dns,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	l.ca = filepath.Join(l.dir, "ca.pem")
	os.WriteFile(l.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	os.WriteFile(filepath.Join(l.dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return os.WriteFile(filepath.Join(l.dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func (l *lab) start(ns string, env []string, args ...string) error {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	logf, _ := os.Create(filepath.Join(l.dir, fmt.Sprintf("%s-%d.log", filepath.Base(args[0]), len(l.procs))))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	l.procs = append(l.procs, cmd)
	return nil
}

// writePACFiles writes the PAC files the lab serves: the API hosts through the authenticating
// proxy (a dead one listed first), the rest DIRECT.
func (l *lab) writePACFiles() {
	os.MkdirAll(filepath.Join(l.dir, "pac"), 0o755)
	for name, port := range map[string]string{"ntlm.pac": ntlmSquidPort, "negotiate.pac": negotiateSquidPort} {
		src := fmt.Sprintf(`function FindProxyForURL(url, host) {
	if (host == "containers.bluemix.net" || dnsDomainIs(host, ".cloud.ibm.com"))
		return "PROXY %s:%s; PROXY %s:%s; DIRECT";
	return "DIRECT";
}
`, proxyAddr, deadProxyPort, labProxyName, port)
		os.WriteFile(filepath.Join(l.dir, "pac", name), []byte(src), 0o644)
	}
}

// startKDC makes the realm (alice with a password, HTTP/proxy.lab.test with a keytab for the
// Negotiate squid) and starts an MIT KDC in the cloud. Its configuration is private
// (KRB5_CONFIG, KRB5_KDC_PROFILE): the machine's /etc/krb5.conf is never read or written.
func (l *lab) startKDC() error {
	dir := filepath.Join(l.dir, "krb")
	os.MkdirAll(filepath.Join(dir, "kdc"), 0o755)
	l.krb5conf = filepath.Join(dir, "krb5.conf")
	kdcConf := filepath.Join(dir, "kdc.conf")
	os.WriteFile(l.krb5conf, []byte(fmt.Sprintf(`[libdefaults]
  default_realm = %[1]s
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  dns_canonicalize_hostname = false
  udp_preference_limit = 1
[realms]
  %[1]s = {
    kdc = %[2]s:88
  }
[domain_realm]
  .lab.test = %[1]s
`, labRealm, labKDCName)), 0o644)
	os.WriteFile(kdcConf, []byte(fmt.Sprintf(`[kdcdefaults]
  kdc_ports = 88
  kdc_tcp_ports = 88
[realms]
  %[1]s = {
    database_name = %[2]s/kdc/principal
    key_stash_file = %[2]s/kdc/stash
    acl_file = %[2]s/kdc/kadm5.acl
  }
[logging]
  kdc = FILE:%[2]s/kdc.log
`, labRealm, dir)), 0o644)
	os.WriteFile(filepath.Join(dir, "kdc", "kadm5.acl"), nil, 0o644)
	env := append(os.Environ(), "KRB5_CONFIG="+l.krb5conf, "KRB5_KDC_PROFILE="+kdcConf)
	keytab := filepath.Join(dir, "proxy.keytab")
	for _, args := range [][]string{
		{"kdb5_util", "create", "-r", labRealm, "-s", "-P", "lab-master-pw"},
		{"kadmin.local", "-q", "addprinc -pw alice-pw alice"},
		{"kadmin.local", "-q", "addprinc -randkey HTTP/" + labProxyName},
		{"kadmin.local", "-q", "ktadd -k " + keytab + " HTTP/" + labProxyName},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %v: %s", args, err, out)
		}
	}
	// squid drops to the proxy user: its helper must read the keytab.
	exec.Command("chown", "proxy", keytab).Run()
	return l.start(nsCloud, []string{"KRB5_CONFIG=" + l.krb5conf, "KRB5_KDC_PROFILE=" + kdcConf}, "krb5kdc", "-n")
}

// kinit gets alice a ticket into a FILE: cache in the client namespace.
func (l *lab) kinit(t *testing.T) string {
	t.Helper()
	cache := "FILE:" + filepath.Join(t.TempDir(), "krb5cc")
	cmd := exec.Command("ip", "netns", "exec", nsClient, "kinit", "alice")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "KRB5_CONFIG=" + l.krb5conf, "KRB5CCNAME=" + cache}
	cmd.Stdin = strings.NewReader("alice-pw\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v: %s", err, out)
	}
	return cache
}

func (l *lab) startServices() error {
	// dnsmasq: the catalog's names, NXDOMAIN for everything else.
	var conf strings.Builder
	fmt.Fprintf(&conf, "no-resolv\nno-hosts\nlisten-address=%s\nbind-interfaces\naddress=/#/\n", cloudAddr)
	for n, a := range l.names {
		fmt.Fprintf(&conf, "address=/%s/%s\n", n, a)
	}
	dnsConf := filepath.Join(l.dir, "dnsmasq.conf")
	os.WriteFile(dnsConf, []byte(conf.String()), 0o644)
	if err := l.start(nsCloud, nil, "dnsmasq", "--keep-in-foreground", "--conf-file="+dnsConf, "--pid-file="+filepath.Join(l.dir, "dnsmasq.pid"), "--user=root"); err != nil {
		return err
	}
	self, _ := os.Executable()
	if err := l.start(nsCloud, []string{labServerEnv + "=" + l.dir}, self, "-test.run=^$"); err != nil {
		return err
	}
	// squid drops to its own user: its logs go to a directory it can write.
	os.Mkdir(filepath.Join(l.dir, "squid"), 0o777)
	os.Chmod(filepath.Join(l.dir, "squid"), 0o777)
	waitFor := [][]string{{nsRouter, "198.18.129.1:443"}, {nsRouter, proxyAddr + ":3128"}, {nsRouter, cloudAddr + ":53"},
		{nsRouter, proxyAddr + ":" + ntlmSquidPort}}
	squids := map[string]struct{ port, auth string }{
		"squid": {"3128", ""},
		// ntlm_fake_auth runs the real NTLM handshake and accepts any user.
		"squid-ntlm": {ntlmSquidPort, "auth_param ntlm program /usr/lib/squid/ntlm_fake_auth\nauth_param ntlm children 2"},
	}
	var krbEnv []string
	if l.kerberos {
		if err := l.startKDC(); err != nil {
			return err
		}
		krbEnv = []string{"KRB5_CONFIG=" + l.krb5conf}
		squids["squid-negotiate"] = struct{ port, auth string }{negotiateSquidPort,
			"auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -k " + filepath.Join(l.dir, "krb", "proxy.keytab") +
				" -s HTTP/" + labProxyName + "@" + labRealm + "\nauth_param negotiate children 2\nauth_param negotiate keep_alive on"}
		waitFor = append(waitFor, []string{nsRouter, proxyAddr + ":" + negotiateSquidPort}, []string{nsRouter, cloudAddr + ":88"})
	}
	tmpl := template.Must(template.ParseFiles("testdata/lab/squid.conf.tmpl"))
	for name, sqd := range squids {
		var sq bytes.Buffer
		tmpl.Execute(&sq, map[string]string{"Listen": proxyAddr + ":" + sqd.port, "DNS": cloudAddr, "Dir": l.dir, "Name": name,
			"Auth": sqd.auth})
		sqConf := filepath.Join(l.dir, name+".conf")
		os.WriteFile(sqConf, sq.Bytes(), 0o644)
		// Each squid its own service name: instances must not share memory segments or pid files.
		if err := l.start(nsProxy, krbEnv, "squid", "-N", "-n", strings.ReplaceAll(name, "-", ""), "-f", sqConf); err != nil {
			return err
		}
	}
	// Wait until every service answers.
	deadline := time.Now().Add(20 * time.Second)
	for _, probe := range waitFor {
		for {
			if _, err := inNS(probe[0], "bash", "-c", "exec 3<>/dev/tcp/"+strings.Replace(probe[1], ":", "/", 1)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				logs, _ := filepath.Glob(filepath.Join(l.dir, "*.log"))
				var all string
				for _, f := range logs {
					b, _ := os.ReadFile(f)
					all += f + ": " + string(b) + "\n"
				}
				return fmt.Errorf("%s did not come up in the lab:\n%s", probe[1], all)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// labServe is the cloud: HTTPS services, plain TCP ports, a block page and a stalled master,
// on every address of the AnyIP blocks. It runs until killed.
func labServe(dir string) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, testnet.Ships)
	})
	mux.HandleFunc("/v1/zones", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":"dal10","metro":"dal"},{"id":"dal12","metro":"dal"}]`)
	})
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"major":"1","minor":"7+","gitVersion":"v1.7.4-2+lab"}`)
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, _ := net.SplitHostPort(r.Context().Value(http.LocalAddrContextKey).(net.Addr).String()); host == blockPageIP {
			fmt.Fprint(w, "<html><body>Access to this site is blocked by corporate policy.</body></html>")
			return
		}
		mux.ServeHTTP(w, r)
	})
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, port := range []int{443, 31142} {
		ln, err := tls.Listen("tcp", fmt.Sprintf(":%d", port), tlsConf)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go http.Serve(ln, handler)
	}
	// The PAC files, over plain HTTP.
	pacLn, err := net.Listen("tcp", fmt.Sprintf(":%d", labPACPort))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(pacLn, http.FileServer(http.Dir(filepath.Join(dir, "pac"))))
	// A master that completes TLS and then never answers.
	stall, _ := tls.Listen("tcp", fmt.Sprintf(":%d", stallPort), tlsConf)
	go acceptForever(stall, func(c net.Conn) { c.(*tls.Conn).Handshake(); io.Copy(io.Discard, c) })
	for _, port := range []int{80, 9091, 9095, 30080, 31234, 8443} {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go acceptForever(ln, func(c net.Conn) { io.Copy(io.Discard, c) })
	}
	select {}
}

func acceptForever(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() { defer c.Close(); handle(c) }()
	}
}

// labRun runs fwcheck in a namespace with -o json and returns the exit code, the report and
// the wall time.
type labReport struct {
	Summary  struct{ Verified, Missing, Warnings, Skipped int }
	Openings []struct {
		ID, Status, Rule string
		Probes           []struct {
			Host, Address, State, Reason, Detail, Via string
			Port                                      int
			ProxySource                               string `json:"proxy_source"`
			ProxyAuth                                 string `json:"proxy_auth"`
			Attempts                                  []struct{ Via, State, Reason string }
		}
	}
}

func (l *lab) run(t *testing.T, ns string, env []string, args ...string) (int, labReport, time.Duration, string) {
	t.Helper()
	return l.runWith(t, ns, env, nil, args...)
}

// runAsNobody runs fwcheck in ns as user nobody: what needs no privilege must work without it.
func (l *lab) runAsNobody(t *testing.T, ns string, args ...string) (int, labReport, time.Duration, string) {
	t.Helper()
	if _, err := exec.LookPath("setpriv"); err != nil {
		testtier.Skip(t, "lab", fmt.Sprintf("setpriv (util-linux) is needed to drop privileges: %v", err))
	}
	return l.runWith(t, ns, nil, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, args...)
}

func (l *lab) runWith(t *testing.T, ns string, env, wrap []string, args ...string) (int, labReport, time.Duration, string) {
	t.Helper()
	// Flags go before a command's arguments: put -o json right after the command.
	full := append(append(append([]string{"netns", "exec", ns}, wrap...), l.bin, args[0], "-o", "json"), args[1:]...)
	cmd := exec.Command("ip", full...)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + l.ca}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	el := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fwcheck: %v", err)
	}
	var rep labReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil && code != 2 {
		t.Fatalf("report: %v\n%s\n%s", err, out.String(), errb.String())
	}
	return code, rep, el, errb.String()
}

// nft loads a ruleset into a namespace for the length of the test.
func nft(t *testing.T, ns, table, rules string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.nft")
	os.WriteFile(file, []byte(fmt.Sprintf("table inet %s {\n%s\n}\n", table, rules)), 0o644)
	if out, err := inNS(ns, "nft", "-f", file); err != nil {
		t.Fatalf("nft: %v %s", err, out)
	}
	t.Cleanup(func() { inNS(ns, "nft", "delete", "table", "inet", table) })
}

// states maps "opening host:port" to the probe's state.
func (r labReport) states() map[string]string {
	m := map[string]string{}
	for _, o := range r.Openings {
		for _, p := range o.Probes {
			key := fmt.Sprintf("%s %s:%d", o.ID, firstNonEmpty(p.Address, p.Host), p.Port)
			m[key] = p.State
		}
	}
	return m
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (r labReport) missing() []string {
	var out []string
	for _, o := range r.Openings {
		if o.Status == "missing" {
			out = append(out, o.ID)
		}
	}
	sort.Strings(out)
	return out
}

// bound is the wall-time ceiling of a run: (retries+1) × timeout plus a small constant for
// process start and the lab's own work.
func bound(timeout time.Duration, retries int) time.Duration {
	return time.Duration(retries+1)*timeout + 1500*time.Millisecond
}
