/**
 * Just enough of the NetworkPolicy semantics to answer "may A reach B on port P?" over rendered
 * manifests, for the deployment tests: a flow is allowed when the source's egress and the target's
 * ingress both admit it (a pod no policy selects for a direction is open in that direction).
 * Peers: podSelector, namespaceSelector, both (AND), ipBlock (external addresses only).
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
}

export interface NetworkPolicy {
  metadata: { name: string; namespace?: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: { from?: Peer[]; ports?: PolicyPort[] }[];
    egress?: { to?: Peer[]; ports?: PolicyPort[] }[];
  };
}

/** A pod (its labels and namespace), or an address outside the cluster. */
export type Endpoint = { pod: Record<string, string>; namespace: string } | { ip: string };

export function matches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base!) / size) * size;
  const n = ipToInt(ip);
  return n >= start && n < start + size;
}

function peerMatches(peer: Peer, other: Endpoint, policyNamespace: string): boolean {
  if ('ip' in other) {
    if (!peer.ipBlock) return false;
    return (
      inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c))
    );
  }
  if (peer.ipBlock) return false;
  const nsLabels = { 'kubernetes.io/metadata.name': other.namespace };
  if (peer.namespaceSelector) {
    return matches(peer.namespaceSelector, nsLabels) && matches(peer.podSelector, other.pod);
  }
  return other.namespace === policyNamespace && matches(peer.podSelector, other.pod);
}

function portMatches(ports: PolicyPort[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || Number(p.port) === port),
  );
}

function typesOf(policy: NetworkPolicy): string[] {
  return policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** Does `direction` traffic of the pod admit `other` on port/protocol? */
function admits(
  policies: NetworkPolicy[],
  pod: { pod: Record<string, string>; namespace: string },
  direction: 'Ingress' | 'Egress',
  other: Endpoint,
  port: number,
  protocol: string,
): boolean {
  const selecting = policies.filter(
    (p) =>
      (p.metadata.namespace ?? pod.namespace) === pod.namespace &&
      typesOf(p).includes(direction) &&
      matches(p.spec.podSelector, pod.pod),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) => {
    const ns = p.metadata.namespace ?? pod.namespace;
    const rules =
      direction === 'Ingress'
        ? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
        : (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
    return rules.some(
      (r) =>
        portMatches(r.ports, port, protocol) &&
        (!r.peers || r.peers.length === 0 || r.peers.some((peer) => peerMatches(peer, other, ns))),
    );
  });
}

export function mayConnect(
  policies: NetworkPolicy[],
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol = 'TCP',
): boolean {
  const egress = 'ip' in from || admits(policies, from, 'Egress', to, port, protocol);
  const ingress = 'ip' in to || admits(policies, to, 'Ingress', from, port, protocol);
  return egress && ingress;
}
