import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, fetch, type Response } from 'undici';
import { isAllowedHost, refusedAddress, refusedUrl, type OutboundAllowance } from '../domain/outbound-policy.js';
import { redactUrlCredentials } from '../domain/url-credentials.js';

/** Thrown when the controller refuses to send to a URL: the reason names the address and its range. */
export class OutboundRefusedError extends Error {
  constructor(reason: string) {
    super(`refused: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The HTTP the controller sends on a caller's behalf (completion events to sinks and callback
 * URLs). The address check runs in the socket's own lookup, on the very addresses it then
 * connects to, so a name that resolves to a public address when checked and to 127.0.0.1 a
 * moment later (DNS rebinding) is still refused. Redirects are never followed: a 3xx answer is a
 * failed try, so a public URL cannot bounce the controller into a private one.
 */
export class OutboundHttp {
  private readonly agent: Agent;

  constructor(private readonly allowance: OutboundAllowance) {
    const guardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        if (!isAllowedHost(hostname, allowance)) {
          for (const { address } of addresses) {
            const reason = refusedAddress(address, allowance);
            if (reason) return callback(new OutboundRefusedError(`${hostname} resolves to ${reason}`), []);
          }
        }
        // net.connect asks for every address (happy eyeballs) or for one, depending on its options.
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    this.agent = new Agent({ connect: { lookup: guardedLookup as never } });
  }

  /** POSTs `body` to `url`; throws OutboundRefusedError for a refused destination, and on a redirect. */
  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Response> {
    // An IP literal never reaches the lookup: net.connect dials it directly.
    const refused = refusedUrl(url, this.allowance);
    if (refused) throw new OutboundRefusedError(refused);
    const { target, authorization } = splitCredentials(url);
    const sent = authorization ? { ...headers, authorization } : headers;
    const response = await fetch(target, { method: 'POST', headers: sent, body, redirect: 'manual', dispatcher: this.agent, signal: AbortSignal.timeout(timeoutMs) });
    if (response.status >= 300 && response.status < 400) {
      await response.arrayBuffer().catch(() => undefined);
      const location = response.headers.get('location');
      throw new OutboundRefusedError(`answered ${response.status} with a redirect${location ? ` to ${redactUrlCredentials(location)}` : ''}, and redirects are not followed`);
    }
    return response;
  }

  /** Closes the pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * A URL's user name and password as HTTP Basic credentials (RFC 7617), the URL without them:
 * fetch refuses a URL that carries credentials, and a callback URL such as
 * `https://user:secret@hooks.example/` means exactly this header.
 */
function splitCredentials(url: string): { target: string; authorization?: string } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { target: url };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { target: parsed.toString(), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}
