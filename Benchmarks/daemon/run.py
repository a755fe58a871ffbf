#!/usr/bin/env python3
"""The daemon benchmark: `switchyard run --kubeconfig` as a user runs it, against an API server
inside the benchmark (apiserver.py) holding SERVICES Services × ENDPOINTS endpoints and PODS Pods,
programming a private network namespace. It measures, end to end:

- first full sync: API lists served → rules committed (the daemon's own `synced kind=full` line,
  with its phases), and DNS answering after the lists;
- idle CPU over a window with nothing changing (periodic resyncs included);
- churn at RATE changes/s for SECONDS (half endpoint changes, half Service replacements: a new
  Service created, the one created 100 replacements earlier deleted; an endpoint change moves an
  endpoint to another Pod's address, so the cluster keeps its size and its distinct addresses):
  daemon CPU per change; then the same churn again with the network programming latency timed (API
  write → the element's commit, seen by nf_tables events in the namespace, `nfevents.py`) and DNS
  probed every 2 ms for the new names: DNS freshness (API write → the new name answering) — apart,
  so the probes' queries and the kernel's notifications for the listener do not count as the
  changes' CPU;
- RSS over time;
and, side by side, the isolated pipeline (`switchyard bench`) for the same shape in the same run.

Needs root (network namespaces) and a release build. Loopback and a private namespace only.
Usage: run.py [--services N] [--endpoints N] [--pods N] [--rate R] [--seconds S] [--idle S]
              [--json FILE] [--bin PATH] [--no-pipeline] [--fresh-addresses]
"""
import argparse
import ipaddress
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apiserver  # noqa: E402

SERVICES = "/api/v1/services"
SLICES = "/apis/discovery.k8s.io/v1/endpointslices"
PODS = "/api/v1/pods"
NODE = "node-0"
TICK = os.sysconf("SC_CLK_TCK")


def log(message):
    print("daemon-bench: " + message, file=sys.stderr, flush=True)


def rfc3339(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Workload:
    """The synthetic cluster: namespaces, nodes, services with one EndpointSlice each, pods."""

    def __init__(self, services, endpoints, pods, nodes=100, namespaces=50):
        self.services, self.endpoints, self.pods, self.nodes, self.namespaces = services, endpoints, pods, nodes, namespaces
        self.rng = random.Random(1)
        self.fresh_ip_value = int(ipaddress.ip_address("10.200.0.1"))
        self.fresh_cluster_ip = int(ipaddress.ip_address("10.110.0.1"))
        self.added = 0
        self.slices = {}  # service index -> slice dict
        self.fresh_addresses = False

    @staticmethod
    def pod_ip(index):
        return str(ipaddress.ip_address(int(ipaddress.ip_address("10.128.0.1")) + index))

    def namespace_of(self, index):
        return "ns-%d" % (index % self.namespaces)

    def service(self, name, namespace, cluster_ip, udp, node_port):
        port = {"name": "dns" if udp else "http", "protocol": "UDP" if udp else "TCP", "port": 53 if udp else 80,
                "targetPort": 5353 if udp else 8080}
        spec = {"type": "NodePort" if node_port else "ClusterIP", "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                "internalTrafficPolicy": "Cluster", "selector": {"app": name}, "ports": [port]}
        if node_port:
            port["nodePort"] = node_port
            spec["externalTrafficPolicy"] = "Cluster"
        return {"metadata": {"name": name, "namespace": namespace, "uid": "uid-svc-%s-%s" % (namespace, name)},
                "spec": spec, "status": {"loadBalancer": {}}}

    def endpoint_slice(self, service, addresses, udp):
        meta = service["metadata"]
        endpoints = [{"addresses": [ip], "conditions": {"ready": True, "serving": True, "terminating": False},
                      "nodeName": node} for ip, node in addresses]
        return {"metadata": {"name": meta["name"] + "-x1", "namespace": meta["namespace"],
                             "uid": "uid-eps-%s-%s" % (meta["namespace"], meta["name"]),
                             "labels": {"kubernetes.io/service-name": meta["name"],
                                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                             "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": rfc3339(time.time())}},
                "addressType": "IPv4", "endpoints": endpoints,
                "ports": [{"name": "dns" if udp else "http", "protocol": "UDP" if udp else "TCP",
                           "port": 5353 if udp else 8080}]}

    def load(self, store):
        for n in range(self.namespaces):
            store.put("/api/v1/namespaces", {"metadata": {"name": "ns-%d" % n, "uid": "uid-ns-%d" % n},
                                             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}, notify=False)
        for n in range(self.nodes):
            name = "node-%d" % n
            ip = "192.0.2.%d" % (n + 1) if n < 250 else "198.51.100.%d" % (n - 249)
            store.put("/api/v1/nodes", {
                "metadata": {"name": name, "uid": "uid-" + name, "labels": {"kubernetes.io/hostname": name}},
                "spec": {"podCIDR": "10.128.%d.0/24" % n, "podCIDRs": ["10.128.%d.0/24" % n]},
                "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]}},
                notify=False)
        for p in range(self.pods):
            ns = self.namespace_of(p)
            store.put(PODS, {"metadata": {"name": "pod-%d" % p, "namespace": ns, "uid": "uid-pod-%d" % p},
                             "spec": {"nodeName": "node-%d" % (p % self.nodes), "containers": [{"name": "c", "image": "x"}]},
                             "status": {"phase": "Running", "podIP": self.pod_ip(p), "podIPs": [{"ip": self.pod_ip(p)}]}},
                      notify=False)
        base = int(ipaddress.ip_address("10.96.0.10"))
        for s in range(self.services):
            udp = s % 10 == 0
            node_port = 30000 + s if s % 20 == 1 and s < 2700 else None
            svc = self.service("svc-%d" % s, self.namespace_of(s), str(ipaddress.ip_address(base + s)), udp, node_port)
            store.put(SERVICES, svc, notify=False)
            picks = [(s * self.endpoints + j) % max(1, self.pods) for j in range(self.endpoints)]
            addresses = [(self.pod_ip(p), "node-%d" % (p % self.nodes)) for p in picks]
            eps = self.endpoint_slice(svc, addresses, udp)
            self.slices[s] = (svc, eps, udp)
            store.put(SLICES, eps, notify=False)

    def fresh_ip(self):
        """An address no endpoint has had yet (a new Pod's)."""
        self.fresh_ip_value += 1
        return str(ipaddress.ip_address(self.fresh_ip_value))

    def endpoint_change(self, store):
        """Moves one endpoint of a random Service to another of the cluster's Pods (one EndpointSlice
        written), so the cluster keeps its distinct addresses as well as its size. With
        `fresh_addresses` (before session 13) the endpoint got an address never seen before instead:
        the replaced one stayed with the other Service its Pod backs, and the cluster's distinct
        addresses (reverse DNS names, address indexes) grew by one per change, +13% DNS names over
        10 minutes. Returns (the new address, the address it replaced)."""
        s = self.rng.randrange(len(self.slices))
        svc, eps, udp = self.slices[s]
        eps = json.loads(json.dumps(eps))
        listed = {endpoint["addresses"][0] for endpoint in eps["endpoints"]}
        ip = self.fresh_ip() if self.fresh_addresses or not self.pods else self.pod_ip(self.rng.randrange(self.pods))
        while ip in listed:
            ip = self.pod_ip(self.rng.randrange(self.pods))
        endpoint = eps["endpoints"][self.rng.randrange(len(eps["endpoints"]))]
        replaced = endpoint["addresses"][0]
        endpoint["addresses"] = [ip]
        eps["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] = rfc3339(time.time())
        self.slices[s] = (svc, eps, udp)
        store.put(SLICES, eps)
        return ip, replaced

    def replace_service(self, store, live=100):
        """Creates a Service with endpoints and deletes the one created `live` replacements earlier,
        so the cluster keeps its size; returns (the new ClusterIP, its DNS name)."""
        if self.added >= live:
            old = self.added - live
            ns = self.namespace_of(old)
            store.delete(SLICES, ns, "new-%d-x1" % old)
            store.delete(SERVICES, ns, "new-%d" % old)
        return self.add_service(store)

    def add_service(self, store):
        """Creates a Service with endpoints; returns (its ClusterIP, its DNS name)."""
        self.fresh_cluster_ip += 1
        cluster_ip = str(ipaddress.ip_address(self.fresh_cluster_ip))
        name = "new-%d" % self.added
        ns = self.namespace_of(self.added)
        self.added += 1
        svc = self.service(name, ns, cluster_ip, False, None)
        store.put(SERVICES, svc)
        eps = self.endpoint_slice(svc, [(self.fresh_ip(), NODE) for _ in range(self.endpoints)], False)
        store.put(SLICES, eps)
        return cluster_ip, "%s.%s.svc.cluster.local" % (name, ns)


def dns_query(name, server, timeout=0.2):
    """One A query over UDP; True when it answers NOERROR with at least one answer."""
    qid = random.randrange(65536)
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    packet += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, server)
        try:
            reply, _ = sock.recvfrom(4096)
        except socket.timeout:
            return False
    if len(reply) < 12:
        return False
    _, flags, _, answers, _, _ = struct.unpack(">HHHHHH", reply[:12])
    return flags & 0xF == 0 and answers > 0


class Process:
    """The daemon: its log lines (JSON), CPU and RSS from /proc."""

    def __init__(self, argv, log_path):
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stderr:
            self.log_file.write(line)
            self.log_file.flush()
            try:
                record = json.loads(line)
            except ValueError:
                continue
            record["_t"] = time.time()
            with self.cond:
                self.lines.append(record)
                self.cond.notify_all()

    def wait_for(self, predicate, timeout, start=0):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for record in self.lines[start:]:
                    if predicate(record):
                        return record
                start = len(self.lines)
                remaining = deadline - time.time()
                if remaining <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(remaining)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def memory_mib(self):
        """Resident memory by kind (smaps_rollup): anonymous (heap, stacks) and file-backed (code)."""
        fields = {}
        with open("/proc/%d/smaps_rollup" % self.proc.pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
        return {"rss": round(fields.get("Rss", 0), 1), "anonymous": round(fields.get("Anonymous", 0), 1),
                "file": round(fields.get("Rss", 0) - fields.get("Anonymous", 0), 1)}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log_file.close()


def median_between(samples, start, end):
    """The median of the (time, value) samples taken from `start` to `end`, rounded; None if none."""
    values = sorted(v for t, v in samples if start <= t <= end)
    return round(values[len(values) // 2], 1) if values else None


def dnsperf(server, queries, extra, seconds, output):
    """Runs dnsperf against `server` for `seconds`; returns its summary as a dict (and the per-query
    latencies in seconds when `extra` has -v)."""
    argv = ["dnsperf", "-s", server[0], "-p", str(server[1]), "-d", queries, "-l", str(seconds)] + extra
    with open(output, "w") as out:
        subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    summary = {"latencies": []}
    with open(output) as f:
        for line in f:
            if line.startswith(">"):
                summary["latencies"].append(float(line.split()[-1]))
                continue
            line = line.strip()
            for key, field in (("Queries sent:", "sent"), ("Queries completed:", "completed"),
                               ("Queries lost:", "lost"), ("Queries per second:", "qps")):
                if line.startswith(key):
                    summary[field] = float(line.split(":", 1)[1].split()[0])
            if line.startswith("Response codes:"):
                summary["codes"] = {m.group(1): int(m.group(2)) for m in re.finditer(r"(\w+) (\d+) \(", line)}
    return summary


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def phase_ms(record):
    return {k: float(v.rstrip("ms")) for k, v in (p.split("=") for p in record.get("phases", "").split())}


def pipeline_figures(binary, services, endpoints):
    """The isolated pipeline for the same shape: switchyard bench, median of 3."""
    out = subprocess.run([binary, "bench", "--services", str(services), "--endpoints-per-service", str(endpoints),
                          "--runs", "3", "--paths", "switchyard", "--phases", "compute,full,endpoint-change",
                          "--output", "json"], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        return {"error": out.stderr[-500:]}
    report = json.loads(out.stdout)
    figures = {"peakRSSMiB": round(report.get("peak_rss_bytes", 0) / 2**20, 1)}
    for row in report.get("rows", []):
        if row.get("path") == "switchyard":
            figures[row["phase"] + "Ms"] = row.get("median_ms")
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--pods", type=int, default=50000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--idle", type=float, default=65)
    parser.add_argument("--json")
    parser.add_argument("--bin", default=".build/release/switchyard")
    parser.add_argument("--no-pipeline", action="store_true")
    parser.add_argument("--fresh-addresses", action="store_true",
                        help="endpoint changes take addresses never seen before (the churn of sessions 4-12: the "
                             "cluster's distinct addresses grow by one per change)")
    parser.add_argument("--extra", default="", help="extra daemon flags")
    parser.add_argument("--perf", help="record a perf profile of the daemon during the churn into this file")
    parser.add_argument("--perf-call-graph", default="fp",
                        help="perf's call-graph method: fp (default), or dwarf to see callers of glibc's malloc "
                             "(built without frame pointers); dwarf samples at 250 Hz to keep the file small")
    parser.add_argument("--dns-load", action="store_true",
                        help="a third churn phase with dnsperf at half the daemon's DNS maximum (issue 14)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        log("skipped: needs root (network namespaces)")
        return 0

    work = tempfile.mkdtemp(prefix="sy-daemon-bench-")
    store = apiserver.Store()
    workload = Workload(args.services, args.endpoints, args.pods)
    workload.fresh_addresses = args.fresh_addresses
    log("generating %d services × %d endpoints, %d pods" % (args.services, args.endpoints, args.pods))
    workload.load(store)
    server, url = apiserver.serve(store)
    kubeconfig = os.path.join(work, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n  cluster:\n"
                "    server: %s\nusers:\n- name: bench\n  user: {}\ncontexts:\n- name: bench\n  context:\n"
                "    cluster: bench\n    user: bench\n" % url)
    netns = "sy-daemon-bench-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", netns], check=True)
    dns_port = 20000 + os.getpid() % 20000
    dns = ("127.0.0.1", dns_port)
    argv = [args.bin, "run", "--kubeconfig", kubeconfig, "--netns", netns, "--node", NODE, "--log-format", "json",
            "--cluster-cidr", "10.128.0.0/9", "--healthz-bind-address", "", "--metrics-bind-address", ""]
    argv += args.extra.split() if "--no-dns" in args.extra else ["--dns-listen", "127.0.0.1:%d" % dns_port] + args.extra.split()
    result = {"shape": {"services": args.services, "endpoints": args.endpoints, "pods": args.pods},
              "command": "python3 Benchmarks/daemon/run.py " + " ".join(sys.argv[1:]),
              "rate": args.rate, "seconds": args.seconds, "idleSeconds": args.idle,
              "loadAverage": os.getloadavg()[0]}
    monitor = None
    daemon = None
    rss = []
    stop_sampling = threading.Event()
    try:
        start = time.time()
        daemon = Process(argv, os.path.join(work, "daemon.log"))

        def sample():
            while not stop_sampling.is_set() and daemon.proc.poll() is None:
                try:
                    rss.append((time.time() - start, daemon.rss_mib()))
                except OSError:
                    return
                stop_sampling.wait(1)
        threading.Thread(target=sample, daemon=True).start()
        dns_ready = []

        def first_answer():
            while not stop_sampling.is_set() and daemon.proc.poll() is None:
                if dns_query("svc-1.ns-1.svc.cluster.local", dns, timeout=0.05):
                    dns_ready.append(time.time())
                    return
                time.sleep(0.01)
        threading.Thread(target=first_answer, daemon=True).start()

        synced_sources = daemon.wait_for(lambda r: r.get("msg") == "Kubernetes API synced", 300)
        if synced_sources is None:
            raise SystemExit("daemon-bench: the daemon never synced its sources (see %s/daemon.log)" % work)
        first = daemon.wait_for(lambda r: r.get("msg") == "synced" and r.get("kind") == "full", 300)
        if first is None:
            raise SystemExit("daemon-bench: no first sync (see %s/daemon.log)" % work)
        deadline = time.time() + 60
        while not dns_ready and time.time() < deadline:
            time.sleep(0.05)
        dns_ready = dns_ready[0] if dns_ready else None
        phases = phase_ms(first)
        after_commit = sum(v for k, v in phases.items() if k in ("conntrack", "index")) / 1000
        result["firstSync"] = {
            "listsToCommittedSeconds": round(first["_t"] - after_commit - synced_sources["_t"], 3),
            "listsToSyncedSeconds": round(first["_t"] - synced_sources["_t"], 3),
            "startToCommittedSeconds": round(first["_t"] - start, 3),
            "phasesMilliseconds": phase_ms(first), "operations": int(first.get("operations", 0)),
            "dnsAfterListsSeconds": round(dns_ready - synced_sources["_t"], 3) if dns_ready else None,
        }
        time.sleep(2)
        result["rssAfterInitialMiB"] = round(daemon.rss_mib(), 1)
        result["memoryAfterInitialMiB"] = daemon.memory_mib()
        log("first sync: %s" % result["firstSync"])

        # Idle: nothing changes.
        cpu0, t0 = daemon.cpu_seconds(), time.time()
        mark = len(daemon.lines)
        time.sleep(args.idle)
        idle_cpu = (daemon.cpu_seconds() - cpu0) / (time.time() - t0)
        resyncs = [r for r in daemon.lines[mark:] if r.get("msg") == "synced"]
        result["idle"] = {"cpuCoreFraction": round(idle_cpu, 4),
                          "resyncMillisecondsMax": max((float(r["total"].rstrip("ms")) for r in resyncs), default=None)}
        log("idle: %s" % result["idle"])

        # Churn: the kernel's element additions, seen as nf_tables events, time the programming
        # latency. The listener joins for the second churn only: while anyone listens, the kernel
        # builds a notification per element the daemon commits (~17 µs each, in the daemon's own
        # system time), which is the benchmark's cost, not the daemon's.
        # An address waiting for its element (a moved endpoint's Pod address may come back later in
        # the run: each wait is timed once, when its element shows up).
        pending_ips = {}
        programmed = []
        superseded = [0]
        lock = threading.Lock()
        ip_pattern = re.compile(r"\b(10\.(?:12[89]|13\d|200|201|202|110|111)\.\d+\.\d+)\b")

        def start_monitor():
            listener = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable,
                                         os.path.join(os.path.dirname(os.path.abspath(__file__)), "nfevents.py")],
                                        stdout=subprocess.PIPE, text=True)
            if listener.stdout.readline().strip() != "listening":
                raise SystemExit("daemon-bench: the nf_tables event listener did not start")
            threading.Thread(target=watch_monitor, args=(listener,), daemon=True).start()
            return listener

        def watch_monitor(listener):
            for line in listener.stdout:
                now = time.time()
                if not line.startswith("add element"):
                    continue
                with lock:
                    for ip in ip_pattern.findall(line):
                        if ip in pending_ips:
                            programmed.append(now - pending_ips.pop(ip))

        dns_pending = {}
        dns_seen = {}
        probing = threading.Event()

        def poll_dns():
            while not stop_sampling.is_set():
                if not probing.is_set():
                    probing.wait(0.1)
                    continue
                with lock:
                    names = [n for n in dns_pending if n not in dns_seen]
                for name in names:
                    if dns_query(name, dns, timeout=0.05):
                        dns_seen[name] = time.time()
                time.sleep(0.002)
        threading.Thread(target=poll_dns, daemon=True).start()

        def churn(changes, probe):
            """Writes `changes` changes at the rate; returns (daemon CPU less idle, start, end). With
            `probe`, the new elements are timed and the new names probed."""
            if probe:
                probing.set()
            cpu0, t0 = daemon.cpu_seconds(), time.time()
            for i in range(changes):
                target = t0 + i / args.rate
                delay = target - time.time()
                if delay > 0:
                    time.sleep(delay)
                if i % 2 == 0:
                    ip, replaced = workload.endpoint_change(store)
                    with lock:
                        # A change of an address no sync has programmed yet supersedes it: the
                        # kernel never sees it, so it is not a missing element.
                        if pending_ips.pop(replaced, None) is not None:
                            superseded[0] += 1
                        if probe:
                            pending_ips[ip] = time.time()
                else:
                    cluster_ip, name = workload.replace_service(store)
                    now = time.time()
                    if probe:
                        with lock:
                            pending_ips[cluster_ip] = now
                            dns_pending[name] = now
            end = time.time()
            time.sleep(3)  # the last syncs
            probing.clear()
            return daemon.cpu_seconds() - cpu0 - idle_cpu * (time.time() - t0), t0, end

        changes = int(args.rate * args.seconds)
        perf = None
        if args.perf:
            sampling = ["-g"] if args.perf_call_graph == "fp" else ["--call-graph", args.perf_call_graph, "-F", "250"]
            perf = subprocess.Popen(["perf", "record"] + sampling + ["-o", args.perf, "-p", str(daemon.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rss_before = daemon.rss_mib()
        churn_started = time.time() - start
        mark = len(daemon.lines)
        # First the changes alone (CPU per change), then the same churn again with the commits
        # timed (programming latency) and DNS probed every 2 ms for the new names (freshness): the
        # probes' queries and the event listener's notifications would otherwise count as the
        # changes' CPU.
        churn_cpu, t0, churn_end = churn(changes, probe=False)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        syncs = [r for r in daemon.lines[mark:] if r.get("msg") == "synced"]
        monitor = start_monitor()
        probed_cpu, _, _ = churn(changes, probe=True)
        with lock:
            timed = list(programmed)
            missing = len(pending_ips)
            freshness = [dns_seen[n] - t for n, t in dns_pending.items() if n in dns_seen]
            dns_missing = len(dns_pending) - len(freshness)
        result["churn"] = {
            "changes": changes, "achievedRate": round(changes / (churn_end - t0), 1),
            "cpuMillisecondsPerChange": round(churn_cpu * 1000 / changes, 3),
            "cpuMillisecondsPerChangeWithDNSProbes": round(probed_cpu * 1000 / changes, 3),  # and the listener
            "cpuCoreFraction": round(churn_cpu / (churn_end - t0 + 3) + idle_cpu, 3),
            "programmingLatencyP50Ms": round(percentile(timed, 50) * 1000, 1) if timed else None,
            "programmingLatencyP99Ms": round(percentile(timed, 99) * 1000, 1) if timed else None,
            "programmingMissing": missing,
            "programmingSuperseded": superseded[0],
            "dnsFreshnessP50Ms": round(percentile(freshness, 50) * 1000, 1) if freshness else None,
            "dnsFreshnessP99Ms": round(percentile(freshness, 99) * 1000, 1) if freshness else None,
            "dnsMissing": dns_missing,
            "syncs": len(syncs),
            "syncTotalMsP50": percentile([float(r["total"].rstrip("ms")) for r in syncs], 50),
            "syncPhasesMsMax": {k: max(phase_ms(r).get(k, 0) for r in syncs) for k in (phase_ms(syncs[0]) if syncs else {})},
        }
        if args.dns_load:
            # Queries during churn (issue 14): half of the daemon's DNS maximum, measured idle first,
            # while the same churn runs again; answers must not fail (SERVFAIL) or go missing.
            queries = os.path.join(work, "queries.txt")
            with open(queries, "w") as f:
                for i in range(20000):
                    s_index = (i * 7919) % args.services
                    if i % 10 == 9:
                        f.write("missing-%d.ns-%d.svc.cluster.local A\n" % (i, s_index % workload.namespaces))
                    else:
                        f.write("svc-%d.%s.svc.cluster.local A\n" % (s_index, workload.namespace_of(s_index)))
            peak = dnsperf(dns, queries, ["-c", "8", "-q", "512"], 5, os.path.join(work, "dnsperf-max.txt"))
            half = int(peak.get("qps", 0) / 2)
            half_args = ["-c", "1", "-q", "64", "-Q", str(half), "-v"]
            # The baseline in the same run: the same rate with nothing changing (the machine's own
            # scheduling noise: the daemon, dnsperf and the API server share its cores).
            quiet = dnsperf(dns, queries, half_args, 10, os.path.join(work, "dnsperf-half-idle.txt"))
            quiet_latencies = quiet.pop("latencies")
            load = {}
            runner = threading.Thread(target=lambda: load.update(dnsperf(
                dns, queries, half_args, int(args.seconds) + 3,
                os.path.join(work, "dnsperf-half.txt"))))
            runner.start()
            time.sleep(1)
            churn(changes, probe=False)
            runner.join()
            latencies = load.pop("latencies")
            result["dnsUnderChurn"] = {
                "maxQpsIdle": round(peak.get("qps", 0)), "targetQps": half, "achievedQps": round(load.get("qps", 0)),
                "sent": int(load.get("sent", 0)), "completed": int(load.get("completed", 0)), "lost": int(load.get("lost", 0)),
                "responseCodes": load.get("codes", {}),
                "latencyP50Ms": round(percentile(latencies, 50) * 1000, 3) if latencies else None,
                "latencyP99Ms": round(percentile(latencies, 99) * 1000, 3) if latencies else None,
                "withoutChurn": {"achievedQps": round(quiet.get("qps", 0)), "lost": int(quiet.get("lost", 0)),
                                 "latencyP50Ms": round(percentile(quiet_latencies, 50) * 1000, 3) if quiet_latencies else None,
                                 "latencyP99Ms": round(percentile(quiet_latencies, 99) * 1000, 3) if quiet_latencies else None},
            }
            log("DNS under churn: %s" % result["dnsUnderChurn"])
        rss_after, elapsed = daemon.rss_mib(), time.time() - start
        result["rssMiB"] = {"afterInitial": result.pop("rssAfterInitialMiB"), "beforeChurn": round(rss_before, 1),
                            "afterChurn": round(rss_after, 1), "max": round(max(v for _, v in rss), 1),
                            # The initial sync's transient (the first zone build) is not churn's.
                            "maxDuringChurn": round(max((v for t, v in rss if t >= churn_started), default=0), 1),
                            # Growth apart from where the start happened to land: the median of the
                            # churn's second minute against that of its last minute (the level after
                            # the initial sync varies by ±10% between runs of one binary).
                            "secondMinuteMedian": median_between(rss, churn_started + 60, churn_started + 120),
                            "lastMinuteMedian": median_between(rss, elapsed - 60, elapsed),
                            "series": [(round(t, 1), round(v, 1)) for t, v in rss[::5]]}
        log("churn: %s" % result["churn"])
        log("rss: %s" % {k: v for k, v in result["rssMiB"].items() if k != "series"})

        # Restart (an upgrade): the new daemon adopts the programmed tables; nothing changed, so it
        # must repair nothing (sets too large to read back are rewritten whole, unread).
        # (the event listener goes first: while anyone listens to nf_tables events, the kernel builds one
        # notification per element committed, which more than doubles the cost of a large commit.)
        monitor.terminate()
        monitor.wait()
        monitor = None
        stop_sampling.set()
        daemon.stop()
        daemon = Process(argv, os.path.join(work, "daemon-restarted.log"))
        restarted = time.time()
        synced_sources = daemon.wait_for(lambda r: r.get("msg") == "Kubernetes API synced", 300)
        first = daemon.wait_for(lambda r: r.get("msg") == "synced" and r.get("kind") == "full", 300)
        if synced_sources is None or first is None:
            raise SystemExit("daemon-bench: the restarted daemon did not sync (see %s/daemon-restarted.log)" % work)
        result["restart"] = {
            "listsToSyncedSeconds": round(first["_t"] - synced_sources["_t"], 3),
            "startToSyncedSeconds": round(first["_t"] - restarted, 3),
            "phasesMilliseconds": phase_ms(first), "operations": int(first.get("operations", 0)),
            "rewrittenElements": int(first.get("rewritten_elements", 0)),
        }
        log("restart: %s" % result["restart"])
    finally:
        stop_sampling.set()
        if monitor:
            monitor.terminate()
        if daemon:
            daemon.stop()
        subprocess.run(["ip", "netns", "delete", netns])
        server.shutdown()
    if not args.no_pipeline:
        log("the isolated pipeline for the same shape (switchyard bench)")
        result["pipeline"] = pipeline_figures(args.bin, args.services, args.endpoints)
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
