#!/usr/bin/env node
// Prints COUNT distinct loopback ports, one per line, that could be bound just now.
//   node scripts/lib/free-ports.mjs [count]
// They are picked at random below the kernel's ephemeral range: a port from that range (what a
// bind to port 0 returns) is free again once the check lets go of it, and any outgoing connection
// on the machine may take it before the server it was meant for binds it. Servers started by
// the test scripts (etcd, kube-apiserver, PostgreSQL) bind seconds after their ports are chosen.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const count = Number(process.argv[2] ?? 1);

function ephemeralStart() {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768; // Linux's default, and what other systems use is above it too.
  }
}

function bindable(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const low = 10000;
const high = Math.max(low + 1000, ephemeralStart());
const ports = new Set();
for (let tries = 0; ports.size < count; tries++) {
  if (tries > 1000) throw new Error(`no ${count} free ports between ${low} and ${high}`);
  const port = low + Math.floor(Math.random() * (high - low));
  if (!ports.has(port) && (await bindable(port))) ports.add(port);
}
console.log([...ports].join('\n'));
