// Package lab holds fwcheck's end-to-end tests: the e2e lab (network namespaces joined by veth
// pairs in 198.18.0.0/15, nftables in a router, squid, dnsmasq, the test binary playing IBM
// Cloud's services; see docs/testing.md) and the tests in which the real programs users run
// read what fwcheck prints. It has no code but its tests. The tests run at the repository's
// root, as a user's shell does.
//
// Each lab scenario asserts the exit code, the missing openings, the probes' states and a
// wall-time bound of (retries+1) × timeout + 1.5 s.
//
// # Scenarios (scenarios_test.go)
//
//   - TestLabWorkstationDirect: a workstation with everything open.
//   - TestLabWorkstationBehindSquid: squid the only way out, no DNS: the API open through the
//     proxy, the master and etcd ports proxy-denied.
//   - TestLabWorker: a worker in us-south behind rules that drop dal10 on 443 (filtered), reset
//     monitoring's 9095 (refused), reject a logging IP with admin-prohibited (unreachable) and
//     drop a registry range.
//   - TestLabInbound: NodePort on two nodes with one dropped, a LoadBalancer and an Ingress.
//   - TestLabBlockPageAndStall: a block page (unexpected-response), a master that never speaks
//     (stalled).
//   - TestLabDNS: NXDOMAIN and blackholed DNS (dns-error).
//   - TestLabFirewallVariants: every REJECT variant and DROP, a local egress drop of TCP and UDP.
//   - TestLabIPv6NoRoute: an IPv6 target with no v6 route.
//   - TestLabEphemeralPorts: a narrowed ephemeral port range (local-error).
//   - TestLabUDPRateLimit: 50 closed UDP ports under ICMP rate limiting, never open.
//   - TestLabSweepAndDrift: --sweep of a private range (open on one port, answered only by a
//     firewall's resets on the other: unverified), a registry name outside the page's ranges.
//   - TestLabLocateDrop: --locate names the router as the last hop, run as user nobody.
//   - TestLabRandomLoss: 3 % and 10 % of the client's packets lost, no false filtered.
//   - TestLabWorkstation2025, TestLabWorker2025: the 2025-07-08 edition (one public master IP
//     dropped: the rule names only it).
//   - TestLabPACWithNTLM, TestLabPACWithNegotiate: the only way out a PAC-selected squid that
//     requires NTLM, or Negotiate against a real MIT KDC, with a dead proxy listed first.
//
// # Clusters (nodes_test.go, fleet_test.go, incluster_test.go)
//
//   - TestLabNodes: fwcheck nodes against a real kube-apiserver and etcd, the test playing the
//     Job controller and two kubelets; kubectl applies every manifest fwcheck prints; RBAC
//     refusals.
//   - TestLabNodesFleet: 200 nodes, for the time nodes takes.
//   - TestLabInCluster: docs/cluster.md followed literally, the image unpacked and run as the
//     DaemonSet's pod, scraped by a real Prometheus with docs/alerts.yml.
//
// # The rules loop, the front door, the benchmarks
//
//   - TestLabRulesLoop, TestLabIP6tablesLoads (rules_test.go): nft and iptables-restore load
//     the rules fwcheck prints; the check then passes, and nothing wider was opened.
//   - TestLabReadmeSample (docs_test.go): the README's sample, run in the lab.
//   - TestLabBenchmark, TestLabBenchmarkAdaptive (bench_test.go): fwcheck against nmap, run
//     by hand (FWCHECK_BENCH).
//
// # Real consumers of fwcheck's outputs, and the docs
//
//   - TestAlertRules: promtool and a Prometheus server read serve's metrics and the alert rules.
//   - TestJUnitReadByItsConsumers: xmllint against the xUnit schema, junitparser.
//   - TestNetworkPolicyAcceptedByAPIServer, TestCalicoDecodesStrictly: -o networkpolicy and
//     -o calico as their APIs read them.
//   - TestImageServesFromItsRoot: skopeo and umoci unpack the image; serve runs from its root.
//   - TestDocsExamples, TestDocsProbeSample, TestDocsLinks: every command line of the docs.
//   - TestTiers: which tiers run on this machine, and why the others do not.
package lab
