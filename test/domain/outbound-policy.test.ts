import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noOutboundAllowance, parseOutboundAllowance, refusedAddress, refusedUrl } from '../../src/domain/outbound-policy.js';

describe('outbound policy', () => {
  it('refuses loopback, private, CGNAT, link-local, unique-local, unspecified, multicast and mapped forms of them', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      assert.ok(refusedAddress(address, noOutboundAllowance), address);
    }
  });

  it('allows public unicast addresses', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(refusedAddress(address, noOutboundAllowance), undefined, address);
  });

  it('names the range it refuses', () => {
    assert.match(refusedAddress('169.254.169.254', noOutboundAllowance)!, /link-local/);
    assert.match(refusedAddress('10.1.2.3', noOutboundAllowance)!, /private/);
    assert.match(refusedAddress('100.64.0.1', noOutboundAllowance)!, /carrier-grade NAT/);
  });

  it('allows what the operator names: CIDRs, single addresses and host names, nothing more', () => {
    const allowance = parseOutboundAllowance(['10.0.0.0/8', '127.0.0.1', 'fd00::/8', 'Hooks.Internal']);
    assert.equal(refusedAddress('10.9.9.9', allowance), undefined);
    assert.equal(refusedAddress('127.0.0.1', allowance), undefined);
    assert.ok(refusedAddress('127.0.0.2', allowance));
    assert.equal(refusedAddress('fd00::5', allowance), undefined);
    assert.ok(refusedAddress('192.168.0.1', allowance));
    assert.equal(refusedUrl('http://hooks.internal./x', allowance), undefined);
  });

  it('judges a URL by its literal address (in any notation WHATWG accepts) and leaves names to connect time', () => {
    assert.ok(refusedUrl('http://2130706433/', noOutboundAllowance), 'the decimal form of 127.0.0.1');
    assert.ok(refusedUrl('http://0x7f.1/', noOutboundAllowance), 'the hex form of 127.0.0.1');
    assert.ok(refusedUrl('http://[::ffff:a9fe:a9fe]/', noOutboundAllowance), 'the mapped form of 169.254.169.254');
    assert.equal(refusedUrl('http://localhost:8080/', noOutboundAllowance), undefined);
  });

  it('refuses entries that are neither CIDR, address nor host name', () => {
    for (const entry of ['10.0.0.0/33', 'http://x', 'a b', '']) assert.throws(() => parseOutboundAllowance([entry]), /allowOutbound/, entry);
  });
});
