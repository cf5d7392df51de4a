import ipaddr from 'ipaddr.js';

/**
 * Which destinations of outbound HTTP (callbacks, sinks) the operator allows besides public
 * unicast addresses: CIDR ranges (`127.0.0.1/32`, `10.0.0.0/8`, `fd00::/8`) and host names
 * (`localhost`, `hooks.internal`) that are trusted whatever they resolve to.
 */
export interface OutboundAllowance {
  ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  hosts: Set<string>;
}

/** No allowance: only public unicast addresses are reachable. */
export const noOutboundAllowance: OutboundAllowance = { ranges: [], hosts: new Set() };

const hostName = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;

/**
 * Parses `--allow-outbound` entries: each a CIDR, a single address (a /32 or /128) or a host name.
 * Throws an Error naming the first entry that is none of these.
 */
export function parseOutboundAllowance(entries: readonly string[]): OutboundAllowance {
  const allowance: OutboundAllowance = { ranges: [], hosts: new Set() };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry.includes('/')) {
      try {
        allowance.ranges.push(ipaddr.parseCIDR(entry));
        continue;
      } catch {
        throw new Error(`allowOutbound entries must be CIDRs, addresses or host names, not ${JSON.stringify(raw)}`);
      }
    }
    const literal = unbracketed(entry);
    if (ipaddr.isValid(literal)) {
      const address = ipaddr.parse(literal);
      allowance.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (hostName.test(entry)) {
      allowance.hosts.add(entry.toLowerCase().replace(/\.$/, ''));
    } else {
      throw new Error(`allowOutbound entries must be CIDRs, addresses or host names, not ${JSON.stringify(raw)}`);
    }
  }
  return allowance;
}

function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The words for ipaddr.js's range names in refusals. */
const rangeWords: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (RFC 1918)',
  uniqueLocal: 'unique local (fc00::/7)',
  reserved: 'reserved',
};

/**
 * Why the controller must not connect to `address` (an IPv4 or IPv6 literal), or undefined when
 * it may: a public unicast address, or one inside an allowed range. Every range but global
 * unicast is refused, not only the named ones: IPv6 forms that embed an IPv4 address (mapped,
 * 6to4, Teredo, NAT64) are judged by the address they carry or refused outright.
 */
export function refusedAddress(address: string, allowance: OutboundAllowance): string | undefined {
  const literal = unbracketed(address);
  if (!ipaddr.isValid(literal)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(literal);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  for (const [range, bits] of allowance.ranges) {
    if (range.kind() === parsed.kind() && parsed.match(range, bits)) return undefined;
  }
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  return `${literal} is a ${rangeWords[range] ?? `${range} (non-public)`} address; the operator allows it with --allow-outbound`;
}

/** Whether `hostname` (as a URL carries it) is named by the allowance, so any address of it may be reached. */
export function isAllowedHost(hostname: string, allowance: OutboundAllowance): boolean {
  return allowance.hosts.has(hostname.toLowerCase().replace(/\.$/, ''));
}

/**
 * What can be known of a URL before any lookup: why it is refused when its host is an IP literal
 * outside the allowance, undefined otherwise (a name is checked on its resolved addresses at
 * connect time).
 */
export function refusedUrl(url: string, allowance: OutboundAllowance): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return 'is not a URL';
  }
  if (isAllowedHost(hostname, allowance)) return undefined;
  const literal = unbracketed(hostname);
  return ipaddr.isValid(literal) ? refusedAddress(literal, allowance) : undefined;
}
