/**
 * Which network addresses an image download may reach. An answer's image URL comes from the server, so a
 * hostile or compromised gateway could point Node-RED at the LAN or at the machine itself. Loopback, private,
 * link-local and other non-public addresses are reached only when the base URL itself is on such an address
 * (a LocalAI on the LAN keeps working; a public gateway cannot reach inside).
 */
import { BlockList, isIP } from "node:net";
import { lookup, type LookupAddress, type LookupOneOptions } from "node:dns";

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata services
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 3], // multicast, reserved, broadcast
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 127], // unspecified and loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv6");
}

/** True for an IP address that is not on the public internet (loopback, private, link-local, …). */
export function isNonPublicAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, "");
  const family = isIP(ip);
  if (family === 4) return NON_PUBLIC.check(ip, "ipv4");
  if (family !== 6) return false;
  // an IPv4 address written as IPv6: ::ffff:127.0.0.1, or ::ffff:7f00:1 as URLs write it
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (dotted) return NON_PUBLIC.check(dotted[1], "ipv4");
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex) {
    const [hi, lo] = [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16)];
    return NON_PUBLIC.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, "ipv4");
  }
  return NON_PUBLIC.check(ip, "ipv6");
}

function isLocalName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * Where a host (name or address) is: a literal address is judged as it is, a name by every address it resolves to
 * (any non-public one makes it non-public). "unknown" when the name does not resolve within `timeoutMs`.
 */
export async function classifyHost(hostname: string, resolve = lookupAll, timeoutMs = 5000): Promise<"public" | "non-public" | "unknown"> {
  const host = hostname.replace(/^\[|\]$/g, "");
  const verdict = (nonPublic: boolean) => (nonPublic ? "non-public" : "public");
  if (isIP(host)) return verdict(isNonPublicAddress(host));
  if (isLocalName(host)) return "non-public";
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
  });
  try {
    const addresses = await Promise.race([resolve(host), late]);
    return verdict(addresses.some((a) => isNonPublicAddress(a.address)));
  } catch {
    return "unknown";
  } finally {
    clearTimeout(timer);
  }
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => lookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

export const NON_PUBLIC_CODE = "ERR_IMAGES_API_NON_PUBLIC_ADDRESS";

/** The error a refused address gives (a system-style error with `code`, so the connection attempt fails with it). */
export function nonPublicError(host: string, address: string): Error {
  const where = host === address ? address : `${host} (${address})`;
  return Object.assign(new Error(`${where} is a loopback, private or link-local address`), { code: NON_PUBLIC_CODE, host });
}

/** A literal address in a URL's host that may not be reached: the error, or undefined. */
export function refuseLiteral(hostname: string): Error | undefined {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (isLocalName(host)) return nonPublicError(host, "loopback");
  return isIP(host) && isNonPublicAddress(host) ? nonPublicError(host, host) : undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect that resolves as usual and refuses every name with a non-public address among its
 * answers: checked at connect time, so a name that resolves differently later (DNS rebinding) cannot slip by.
 */
export function publicOnlyLookup(hostname: string, options: LookupOneOptions & { all?: boolean }, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) return callback(nonPublicError(hostname, bad.address) as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    return callback(null, first.address, first.family);
  });
}
