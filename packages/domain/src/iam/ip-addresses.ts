/**
 * IPv4 and IPv6 addresses and CIDR ranges for the `IpAddress`/`NotIpAddress` operators
 * ("Use the standard CIDR format (for example, 203.0.113.0/24 or 2001:DB8:1234:5678::/64)").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface IpRange extends IpAddress {
  /** Leading bits that must match: 32 (IPv4) or 128 (IPv6) for a single address. */
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

function parseIpv4(text: string): bigint | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  let value = 0n;
  for (const octet of match.slice(1)) {
    const number = Number(octet);
    if (number > 255) return undefined;
    value = (value << 8n) + BigInt(number);
  }
  return value;
}

function parseHexGroups(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    // An IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
    if (index === parts.length - 1 && part.includes('.')) {
      const ipv4 = parseIpv4(part);
      if (ipv4 === undefined) return undefined;
      groups.push(ipv4 >> 16n, ipv4 & 0xffffn);
      continue;
    }
    if (!HEX_GROUP.test(part)) return undefined;
    groups.push(BigInt(Number.parseInt(part, 16)));
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHexGroups(halves[0]!);
  const tail = halves.length === 2 ? parseHexGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const group of [...head, ...Array<bigint>(missing).fill(0n), ...tail]) value = (value << 16n) + group;
  return value;
}

export function parseIpAddress(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  const ipv4 = parseIpv4(trimmed);
  if (ipv4 !== undefined) return { family: 4, value: ipv4 };
  const ipv6 = trimmed.includes(':') ? parseIpv6(trimmed) : undefined;
  return ipv6 === undefined ? undefined : { family: 6, value: ipv6 };
}

/** `203.0.113.0/24`, `2001:db8::/32`, or a single address. */
export function parseIpRange(text: string): IpRange | undefined {
  const [addressText, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || addressText === undefined) return undefined;
  const address = parseIpAddress(addressText);
  if (!address) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  if (prefixText === undefined) return { ...address, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return { ...address, prefix: Number(prefixText) };
}

/** Whether the address lies in the range; addresses of the other family never do. */
export function ipInRange(address: IpAddress, range: IpRange): boolean {
  if (address.family !== range.family) return false;
  const bits = BigInt(address.family === 4 ? 32 : 128);
  const hostBits = bits - BigInt(range.prefix);
  return address.value >> hostBits === range.value >> hostBits;
}
