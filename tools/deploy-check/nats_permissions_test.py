#!/usr/bin/env python3
"""The NATS users of deploy/kustomize/base/nats/permissions.conf on a real
nats-server: each service's allowed subjects work, forbidden ones are refused.

  nats_permissions_test.py REPO_ROOT

Starts nats-server (JetStream on, a free loopback port, a temp dir) with the
base nats.conf and permissions.conf, and speaks the NATS text protocol over a
socket (no client library needed). Prints one line per case and
'N passed, N failed'; exits 1 on any failure.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

USERS = ["vm-worker", "api", "node-provisioner", "autoscaler", "migration-runner", "operator"]


def env_name(user):
    return "NATS_" + user.upper().replace("-", "_") + "_PASSWORD"


class Client:
    """A minimal NATS client: CONNECT with verbose, PUB/SUB, PING round trips."""

    def __init__(self, port, user, password):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        info = self._line()
        assert info.startswith("INFO "), info
        creds = {"user": user, "pass": password, "verbose": False, "pedantic": False, "protocol": 1, "name": user}
        self.sock.sendall(f"CONNECT {json.dumps(creds)}\r\n".encode())
        self.errors, self.msgs = self.round_trip()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def round_trip(self):
        """PING, then read until PONG: the -ERR lines and MSGs that came before it."""
        self.sock.sendall(b"PING\r\n")
        errors, msgs = [], []
        while True:
            line = self._line()
            if line == "PONG":
                return errors, msgs
            if line.startswith("-ERR"):
                errors.append(line)
                if "Authorization Violation" in line:
                    return errors, msgs
            elif line.startswith("MSG "):
                parts = line.split()
                size = int(parts[-1])
                while len(self.buf) < size + 2:
                    self.buf += self.sock.recv(65536)
                payload, self.buf = self.buf[:size], self.buf[size + 2:]
                msgs.append((parts[1], parts[3] if len(parts) == 5 else None, payload))

    def pub(self, subject, payload=b"x", reply=None):
        head = f"PUB {subject} {reply} {len(payload)}" if reply else f"PUB {subject} {len(payload)}"
        self.sock.sendall(head.encode() + b"\r\n" + payload + b"\r\n")
        return self.round_trip()

    def sub(self, subject, sid):
        self.sock.sendall(f"SUB {subject} {sid}\r\n".encode())
        return self.round_trip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    conf_dir = os.path.join(root, "deploy/kustomize/base/nats")
    tmp = tempfile.mkdtemp(prefix="aether-nats-perm-")
    port, http = free_port(), free_port()
    conf = open(os.path.join(conf_dir, "nats.conf")).read()
    conf = conf.replace("port: 4222", f"port: {port}", 1).replace("http_port: 8222", f"http_port: {http}")
    conf = conf.replace("/data/jetstream", f"{tmp}/js").replace("/tmp/nats.pid", f"{tmp}/nats.pid")
    open(f"{tmp}/nats.conf", "w").write(conf)
    shutil.copy(os.path.join(conf_dir, "permissions.conf"), tmp)
    env = dict(os.environ, POD_NAME="nats-test-0", **{env_name(u): f"{u}-secret" for u in USERS})
    server = subprocess.Popen(["nats-server", "-c", f"{tmp}/nats.conf"], env=env,
                              stdout=open(f"{tmp}/nats.log", "w"), stderr=subprocess.STDOUT)
    results = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit("nats-server exited:\n" + open(f"{tmp}/nats.log").read())
                time.sleep(0.1)
        else:
            sys.exit("nats-server did not listen within 10 s")
        results = run_cases(port)
        results.append(prod_config_valid(root, tmp, env))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [r for r in results if not r[0]]
    for ok, what in results:
        print(("ok     " if ok else "FAILED ") + what)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


def prod_config_valid(root, tmp, env):
    """overlays/prod's clustered TLS nats.conf, with a throwaway certificate, passes nats-server -t."""
    prod = os.path.join(root, "deploy/kustomize/components/nats-cluster/nats.conf")
    d = os.path.join(tmp, "prod")
    os.makedirs(f"{d}/tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=nats",
                    "-keyout", f"{d}/tls/tls.key", "-out", f"{d}/tls/tls.crt"], check=True, capture_output=True)
    shutil.copy(f"{d}/tls/tls.crt", f"{d}/tls/ca.crt")
    conf = open(prod).read().replace("/etc/nats/tls", f"{d}/tls").replace("/data/jetstream", f"{d}/js")
    open(f"{d}/nats.conf", "w").write(conf)
    shutil.copy(os.path.join(root, "deploy/kustomize/base/nats/permissions.conf"), d)
    r = subprocess.run(["nats-server", "-t", "-c", f"{d}/nats.conf"], env=env, capture_output=True, text=True)
    return (r.returncode == 0, "prod's clustered TLS nats.conf is valid (nats-server -t)" + ("" if r.returncode == 0 else f": {r.stderr.strip()}"))


def run_cases(port):
    results = []
    c = {u: Client(port, u, f"{u}-secret") for u in USERS}
    for u, cl in c.items():
        results.append((not cl.errors, f"{u} connects with its password"))
    bad = Client(port, "api", "wrong")
    results.append((any("Authorization Violation" in e for e in bad.errors), "api with a wrong password is refused"))
    nobody = Client(port, "nobody", "x")
    results.append((any("Authorization Violation" in e for e in nobody.errors), "an unknown user is refused"))

    def can_pub(user, subject, want):
        errs, _ = c[user].pub(subject)
        refused = any("Permissions Violation for Publish" in e for e in errs)
        results.append((refused != want, f"{user} {'may' if want else 'may not'} publish {subject}"))

    def can_sub(user, subject, want, sid=[0]):
        sid[0] += 1
        errs, _ = c[user].sub(subject, sid[0])
        refused = any("Permissions Violation for Subscription" in e for e in errs)
        results.append((refused != want, f"{user} {'may' if want else 'may not'} subscribe {subject}"))

    pubs = {
        "vm-worker": (["aether.evt.vm.01J.ready", "aether.evt.worker.w1.draining", "$KV.aether_workers.w1",
                       "$JS.API.CONSUMER.MSG.NEXT.AETHER_CMDS.vm-create", "$JS.ACK.AETHER_CMDS.vm-create.1.2.3.4.5.6",
                       "$JS.API.STREAM.CREATE.AETHER_CMDS", "_INBOX.exec-output.1", "$JS.API.INFO"],
                      ["aether.evt.scale.up", "aether.cmd.vm.create", "aether.evt.node.n1.provisioned",
                       "aether.evt.schema.migrated", "$JS.API.STREAM.DELETE.AETHER_EVENTS", "$KV.aether_leases.autoscaler",
                       "$JS.API.CONSUMER.MSG.NEXT.AETHER_EVENTS.api"]),
        "api": (["aether.cmd.vm.create", "aether.vm.01J.exec", "aether.worker.w1.status",
                 "$JS.API.CONSUMER.MSG.NEXT.AETHER_EVENTS.api-projector", "$JS.ACK.AETHER_EVENTS.api-projector.1.2.3.4.5",
                 "$KV.aether_leases.api-projector"],
                ["aether.evt.vm.01J.ready", "aether.evt.scale.up", "aether.worker.w1.drain", "$KV.aether_workers.w1",
                 "$JS.API.STREAM.DELETE.AETHER_CMDS", "$JS.API.CONSUMER.MSG.NEXT.AETHER_CMDS.vm-create", "_INBOX.other"]),
        "node-provisioner": (["aether.evt.node.n1.provisioned", "aether.evt.node.n1.degraded"],
                             ["aether.evt.vm.01J.ready", "aether.cmd.vm.create", "aether.evt.scale.up", "$KV.aether_workers.n1"]),
        "autoscaler": (["aether.evt.scale.up", "aether.worker.w1.drain", "$KV.aether_leases.autoscaler",
                        "$JS.API.CONSUMER.INFO.AETHER_CMDS.vm-create"],
                       ["aether.cmd.vm.create", "aether.evt.vm.01J.ready", "$KV.aether_workers.w1", "aether.vm.01J.delete",
                        "$JS.API.CONSUMER.MSG.NEXT.AETHER_CMDS.vm-create"]),
        "migration-runner": (["aether.evt.schema.migrated", "$JS.API.STREAM.CREATE.AETHER_EVENTS"],
                             ["aether.evt.vm.01J.ready", "aether.cmd.vm.create", "aether.evt.scale.up",
                              "$JS.API.STREAM.DELETE.AETHER_EVENTS", "$JS.API.STREAM.UPDATE.AETHER_EVENTS"]),
        "operator": (["aether.cmd.vm.create", "$JS.API.STREAM.DELETE.AETHER_EVENTS"], []),
    }
    subs = {
        "vm-worker": (["aether.vm.*.>", "aether.worker.w1.>", "$SRV.PING", "_INBOX.abc.*"], ["aether.evt.>", "aether.cmd.vm.create", ">"]),
        "api": (["_INBOX.abc.*", "$SRV.INFO.api"], ["aether.vm.*.>", "aether.cmd.vm.create", "aether.evt.>", "aether.worker.w1.drain"]),
        "node-provisioner": (["aether.node.n1.probe"], ["aether.vm.*.>", "aether.node.n1.other"]),
        "autoscaler": (["aether.cmd.vm.create", "aether.evt.vm.>"], ["aether.vm.*.>", "aether.worker.*.>"]),
        "migration-runner": (["_INBOX.abc.*"], ["$SRV.>", "aether.>"]),
    }
    for user, (yes, no) in pubs.items():
        for s in yes:
            can_pub(user, s, True)
        for s in no:
            can_pub(user, s, False)
    for user, (yes, no) in subs.items():
        for s in yes:
            can_sub(user, s, True)
        for s in no:
            can_sub(user, s, False)

    # A request the api sends to a VM reaches the worker, and the worker's
    # reply (allow_responses) reaches the api: the request-reply of the contract.
    api, worker = Client(port, "api", "api-secret"), Client(port, "vm-worker", "vm-worker-secret")
    worker.sub("aether.vm.*.>", 1)
    api.sub("_INBOX.test.*", 1)
    api.pub("aether.vm.01J.status", b"status?", reply="_INBOX.test.1")
    _, got = worker.round_trip()
    results.append((len(got) == 1 and got[0][0] == "aether.vm.01J.status" and got[0][1] == "_INBOX.test.1",
                    "the worker receives the api's request on aether.vm.<id>.status"))
    errs, _ = worker.pub("_INBOX.test.1", b"READY")
    _, got = api.round_trip()
    results.append((not errs and len(got) == 1 and got[0][2] == b"READY", "the api receives the worker's reply"))
    # A VM event published by the worker reaches the autoscaler; one the api
    # tries to publish does not.
    scaler = Client(port, "autoscaler", "autoscaler-secret")
    scaler.sub("aether.evt.vm.>", 1)
    worker.pub("aether.evt.vm.01J.ready", b"ev")
    api.pub("aether.evt.vm.01J.failed", b"forged")
    _, got = scaler.round_trip()
    results.append(([m[0] for m in got] == ["aether.evt.vm.01J.ready"], "a worker's VM event is delivered, the api's forged one is not"))
    return results


if __name__ == "__main__":
    main()
