import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseEnv } from '@codecommit-evidence/evidence-store';
import { waitListKey } from '@codecommit-evidence/queues';
import { HEALTH_PATHS, parseEnv } from '@codecommit-evidence/runtime';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy as NetworkPolicyModel } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  APPS,
  defaultOf,
  dockerfileTargets,
  packageJson,
  readRepoFile,
  requiredKeys,
  runTool,
  SAMPLE_SECRETS,
  SDK_VARIABLES,
  WORKER_APPS,
} from './deploy-support.js';
import { type Endpoint, mayConnect, type NetworkPolicy } from './network-policy.js';
import { readScenarioFacts, repoRoot } from './stack.js';

/**
 * The Kubernetes manifests, rendered offline with `kubectl kustomize` (no cluster) and checked
 * against the code: every object is valid for its API (kubernetes-models, @kubernetes-models/keda),
 * every variable is one the app reads and every required one is set, ports and probe paths are the
 * apps', images are the Dockerfile's targets, the KEDA lists are the queues' own, and the network
 * policies let exactly the flows that must happen happen.
 */
const KUSTOMIZE_ROOT = path.join(repoRoot, 'deploy/kubernetes');
const OVERLAYS = ['demo', 'production'] as const;
type Overlay = (typeof OVERLAYS)[number];

type K8sObject = any;

function kustomize(dir: string): K8sObject[] {
  const out = runTool(
    'kubectl',
    ['kustomize', dir],
    'these tests render the manifests with `kubectl kustomize`, offline (install kubectl)',
  );
  return parseAllDocuments(out).map((d) => d.toJSON());
}

const rendered: Record<Overlay, K8sObject[]> = {
  demo: kustomize(path.join(KUSTOMIZE_ROOT, 'overlays/demo')),
  production: kustomize(path.join(KUSTOMIZE_ROOT, 'overlays/production')),
};

const MODELS: Record<string, { validate(): void } & (new (o: K8sObject) => { validate(): void })> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicyModel,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
} as never;

const find = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const get = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind} ${name} in the render`);
  return o;
};
/** A generated ConfigMap's name carries a hash suffix; find it by its base name. */
const configMap = (objects: K8sObject[], base: string): K8sObject => {
  const o = objects.find(
    (x) => x.kind === 'ConfigMap' && (x.metadata.name === base || x.metadata.name.startsWith(`${base}-`)),
  );
  if (!o) throw new Error(`no ConfigMap ${base}`);
  return o;
};
const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
const podSpec = (w: K8sObject) => w.spec.template.spec;
const containersOf = (w: K8sObject): K8sObject[] => [
  ...(podSpec(w).initContainers ?? []),
  ...podSpec(w).containers,
];
/** `registry.example.com/codecommit-evidence/repo-sync:0.1.0` → `codecommit-evidence/repo-sync`. */
const imageName = (image: string) =>
  image.replace(/:[^/:]+$/, '').replace(/^.*\/(codecommit-evidence\/[^/]+)$/, '$1');

/** A container's environment as the app sees it: explicit entries, then ConfigMaps and Secrets (when rendered). */
function environmentOf(
  objects: K8sObject[],
  container: K8sObject,
): { names: string[]; values: Record<string, string> } {
  const values: Record<string, string> = {};
  const names: string[] = [];
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const source = from.configMapRef
      ? objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ref.name)
      : find(objects, 'Secret', ref.name);
    if (!source && !ref.optional)
      throw new Error(`${container.name}: envFrom ${ref.name} is not rendered and not optional`);
    const data: Record<string, string> = from.configMapRef
      ? (source?.data ?? {})
      : Object.fromEntries(
          Object.entries<string>(source?.data ?? {}).map(([k, v]) => [
            k,
            Buffer.from(v, 'base64').toString(),
          ]),
        );
    for (const [k, v] of Object.entries(data)) {
      names.push(k);
      values[k] = v;
    }
  }
  for (const e of container.env ?? []) {
    names.push(e.name);
    if (e.value !== undefined) values[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const secret = find(objects, 'Secret', e.valueFrom.secretKeyRef.name);
      const raw = secret?.data?.[e.valueFrom.secretKeyRef.key];
      values[e.name] =
        raw !== undefined ? Buffer.from(raw, 'base64').toString() : (SAMPLE_SECRETS[e.name] ?? '');
    } else if (e.valueFrom?.configMapKeyRef) {
      values[e.name] = get(objects, 'ConfigMap', e.valueFrom.configMapKeyRef.name).data[
        e.valueFrom.configMapKeyRef.key
      ];
    }
  }
  return { names, values };
}

/** Every secret key the manifests read (env and KEDA). */
function secretKeysRead(objects: K8sObject[]): { name: string; key: string }[] {
  const refs: { name: string; key: string }[] = [];
  for (const w of workloads(objects))
    for (const c of containersOf(w))
      for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.push(e.valueFrom.secretKeyRef);
  for (const t of objects.filter((o) => o.kind === 'TriggerAuthentication'))
    for (const r of t.spec.secretTargetRef ?? []) refs.push({ name: r.name, key: r.key });
  return refs;
}

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  const objects = rendered[overlay];
  const namespace = get(objects, 'Namespace', 'codecommit-evidence').metadata.name;
  const shared = configMap(objects, 'cce-config').data;

  it('renders only objects valid for their API', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `no model for ${o.apiVersion} ${o.kind}: add it to MODELS`).toBeDefined();
      // kustomize wraps long base64 values over lines (the API server's decoder skips newlines; the
      // schema's `byte` format does not).
      const object =
        o.kind === 'Secret'
          ? {
              ...o,
              data: Object.fromEntries(
                Object.entries<string>(o.data ?? {}).map(([k, v]) => [k, v.replace(/\s/g, '')]),
              ),
            }
          : o;
      expect(() => new Model!(object).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace')
        expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(namespace);
    }
  });

  it.each(Object.keys(APPS))('%s: environment, image, ports and probes match the app', (app) => {
    const { schema, folder } = APPS[app]!;
    const deployment = get(objects, 'Deployment', app);
    const main = podSpec(deployment).containers.find((c: K8sObject) => c.name === app);
    expect(main, `${app}: a container named like the app`).toBeDefined();

    const { names, values } = environmentOf(objects, main);
    const reads = new Set(Object.keys(schema.shape));
    expect(
      names.filter((k) => !reads.has(k) && !SDK_VARIABLES.has(k)),
      `${app} is given variables it never reads`,
    ).toEqual([]);
    expect(
      requiredKeys(schema).filter((k) => !names.includes(k)),
      `${app} requires variables not set`,
    ).toEqual([]);
    expect(new Set(names).size, `${app}: a variable set twice`).toBe(names.length);
    const env = parseEnv(schema, Object.fromEntries(Object.entries(values).filter(([k]) => reads.has(k))));

    // The image is the Dockerfile target named like the app, whose command is the app's start script.
    expect(
      main.image.startsWith(overlay === 'production' ? 'registry.example.com/' : 'codecommit-evidence/'),
    ).toBe(true);
    expect(imageName(main.image)).toBe(`codecommit-evidence/${app}`);
    expect(main.command, 'the image says what runs').toBeUndefined();
    expect(dockerfileTargets().get(app)?.cmd).toEqual(packageJson(folder).scripts!.start!.split(' '));

    // Ports and probes: the port the app listens on (its config), the paths it serves.
    const port = app === 'connector-api' ? Number(env.PORT) : Number(env.HEALTH_PORT);
    expect(port).toBe(app === 'connector-api' ? defaultOf(schema, 'PORT') : defaultOf(schema, 'HEALTH_PORT'));
    expect(main.ports).toHaveLength(1);
    expect(main.ports[0].containerPort).toBe(port);
    const portName = main.ports[0].name;
    expect(main.livenessProbe.httpGet).toEqual({ path: HEALTH_PATHS.liveness, port: portName });
    expect(main.readinessProbe.httpGet).toEqual({ path: HEALTH_PATHS.readiness, port: portName });
    if (app === 'connector-api') {
      const routes = readRepoFile('apps/connector-api/src/routes/health.ts');
      for (const p of [HEALTH_PATHS.liveness, HEALTH_PATHS.readiness, HEALTH_PATHS.metrics])
        expect(routes).toContain(`'${p}'`);
    }

    // The process gets SHUTDOWN_TIMEOUT_MS to drain; the kubelet must wait longer before SIGKILL.
    expect(podSpec(deployment).terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      Number(env.SHUTDOWN_TIMEOUT_MS),
    );
  });

  it('runs every container non-root, read-only, unprivileged, with requests and limits', () => {
    for (const w of workloads(objects)) {
      const pod = podSpec(w);
      expect(pod.automountServiceAccountToken, `${w.kind} ${w.metadata.name}`).toBe(false);
      for (const c of containersOf(w)) {
        const where = `${w.kind} ${w.metadata.name} / ${c.name}`;
        expect(c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, where).toBe(true);
        // A numeric user: the kubelet cannot check runAsNonRoot against the image's `USER node` name.
        expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
        expect(c.securityContext.allowPrivilegeEscalation, where).toBe(false);
        expect(c.securityContext.readOnlyRootFilesystem, where).toBe(true);
        expect(c.securityContext.capabilities.drop, where).toContain('ALL');
        for (const kind of ['requests', 'limits'])
          for (const r of ['cpu', 'memory'])
            expect(c.resources?.[kind]?.[r], `${where} ${kind}.${r}`).toBeDefined();
      }
    }
  });

  it('migrates first: a Job runs cce-migrate, and every app waits in an init container until it is done', () => {
    const job = get(objects, 'Job', 'cce-migrate');
    const migrate = podSpec(job).containers[0];
    expect(imageName(migrate.image)).toBe('codecommit-evidence/migrate');
    expect(migrate.command).toBeUndefined();
    const bin = packageJson('packages/evidence-store').bin!['cce-migrate']!.replace(/^\.\//, '');
    expect(dockerfileTargets().get('migrate')?.cmd).toEqual(['node', bin]);
    expect(existsSync(path.join(repoRoot, 'packages/evidence-store', bin))).toBe(true);
    for (const c of [migrate]) {
      const { names, values } = environmentOf(objects, c);
      expect(names).toEqual(['DATABASE_URL']);
      parseEnv(DatabaseEnv, values);
    }
    for (const app of Object.keys(APPS)) {
      const init = podSpec(get(objects, 'Deployment', app)).initContainers ?? [];
      const wait = init.find((c: K8sObject) => c.name === 'wait-for-migrations');
      expect(wait, app).toBeDefined();
      expect(imageName(wait.image)).toBe('codecommit-evidence/migrate');
      // Same release: the init container waits for the migrations the app was built with.
      expect(wait.image.split(':')[1]).toBe(
        podSpec(get(objects, 'Deployment', app)).containers[0].image.split(':')[1],
      );
      expect(wait.command).toEqual(['node', bin, '--wait']);
      expect(environmentOf(objects, wait).names).toEqual(['DATABASE_URL']);
    }
    expect(readRepoFile('packages/evidence-store/src/migrate-cli.ts')).toContain(
      "process.argv.includes('--wait')",
    );
  });

  it('serves the API through a Service, protected by a PodDisruptionBudget', () => {
    const deployment = get(objects, 'Deployment', 'connector-api');
    const labels = deployment.spec.template.metadata.labels;
    const service = get(objects, 'Service', 'connector-api');
    expect(Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v)).toBe(true);
    const container = podSpec(deployment).containers[0];
    expect(container.ports.map((p: K8sObject) => p.name)).toContain(service.spec.ports[0].targetPort);
    const pdb = get(objects, 'PodDisruptionBudget', 'connector-api');
    expect(Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(true);
    expect(pdb.spec.maxUnavailable ?? 0).toBeLessThan(Math.max(2, deployment.spec.replicas));
  });

  it.each(WORKER_APPS)('%s: KEDA scales it on its own BullMQ wait list, never below one replica', (app) => {
    const scaled = get(objects, 'ScaledObject', app);
    const deployment = get(objects, 'Deployment', app);
    expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    // KEDA owns the replica count; a fixed one would fight it on every apply.
    expect(deployment.spec.replicas).toBeUndefined();
    // Scaling to zero would strand delayed jobs: only a running worker promotes them.
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount);
    expect(scaled.spec.triggers).toHaveLength(1);
    const trigger = scaled.spec.triggers[0];
    expect(trigger.type).toBe('redis');
    // The key the worker's queue really uses: QUEUE_PREFIX as the app reads it, the catalog's queue name.
    const prefix = parseEnv(APPS[app]!.schema, {
      ...SAMPLE_SECRETS,
      QUEUE_PREFIX: shared.QUEUE_PREFIX,
    }).QUEUE_PREFIX;
    expect(trigger.metadata.listName).toBe(waitListKey(String(prefix), APPS[app]!.queue!));
    expect(Number(trigger.metadata.listLength)).toBeGreaterThan(0);
    const auth = get(objects, 'TriggerAuthentication', trigger.authenticationRef.name);
    expect(auth.spec.secretTargetRef.map((r: K8sObject) => r.parameter)).toContain('address');
  });

  it('names every secret key it reads where the operator can see it', () => {
    const refs = secretKeysRead(objects);
    expect(refs.length).toBeGreaterThan(0);
    if (overlay === 'demo') {
      for (const { name, key } of refs)
        expect(get(objects, 'Secret', name).data?.[key], `${name}.${key}`).toBeDefined();
    } else {
      // Production Secrets are the operator's: none is rendered, each key is in the documented command.
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      const doc = readRepoFile('deploy/kubernetes/overlays/production/kustomization.yaml');
      for (const { name, key } of refs) {
        expect(name).toBe('cce-secrets');
        expect(doc, key).toContain(`--from-literal=${key}=`);
      }
      const readme = readRepoFile('README.md');
      for (const { key } of refs)
        expect(readme, `README names the secret key ${key}`).toContain(`\`${key}\``);
    }
  });

  it('lets only what must talk, talk', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as NetworkPolicy[];
    const pod = (name: string): Endpoint => {
      const w = workloads(objects).find((x) => x.metadata.name === name || x.metadata.name === `cce-${name}`);
      if (!w) throw new Error(`no workload ${name}`);
      return { pod: w.spec.template.metadata.labels, namespace };
    };
    const outside = (ns: string): Endpoint => ({ pod: { app: 'x' }, namespace: ns });
    const aws: Endpoint = { ip: '52.94.133.131' };
    const dns: Endpoint = { pod: { 'k8s-app': 'kube-dns' }, namespace: 'kube-system' };
    const db: Endpoint = overlay === 'demo' ? pod('postgres') : { ip: '10.20.1.5' };
    const redis: Endpoint = overlay === 'demo' ? pod('redis') : { ip: '10.20.2.5' };
    const awsCallers = ['connector-api', 'repo-sync', 'iam-sync'];
    const apps = [...Object.keys(APPS)];
    const awsPort = overlay === 'demo' ? 4566 : 443;
    const awsEndpoint: Endpoint = overlay === 'demo' ? pod('fake-aws') : aws;

    const allowed: [string, Endpoint, Endpoint, number, string?][] = [
      ['ingress controller -> API', outside('ingress-nginx'), pod('connector-api'), 8080],
      ...apps.map((a): [string, Endpoint, Endpoint, number] => [`${a} -> Postgres`, pod(a), db, 5432]),
      ['migrate -> Postgres', pod('migrate'), db, 5432],
      ...apps.map((a): [string, Endpoint, Endpoint, number] => [`${a} -> Redis`, pod(a), redis, 6379]),
      ...awsCallers.map((a): [string, Endpoint, Endpoint, number] => [
        `${a} -> AWS`,
        pod(a),
        awsEndpoint,
        awsPort,
      ]),
      ...[...apps, 'migrate'].map((a): [string, Endpoint, Endpoint, number, string] => [
        `${a} -> DNS`,
        pod(a),
        dns,
        53,
        'UDP',
      ]),
      ...WORKER_APPS.map((a): [string, Endpoint, Endpoint, number] => [
        `Prometheus -> ${a} metrics`,
        outside('monitoring'),
        pod(a),
        Number(defaultOf(APPS[a]!.schema, 'HEALTH_PORT')),
      ]),
    ];
    if (overlay === 'demo') allowed.push(['KEDA -> Redis', outside('keda'), redis, 6379]);
    for (const [label, from, to, port, protocol] of allowed)
      expect(mayConnect(policies, from, to, port, protocol), label).toBe(true);

    const denied: [string, Endpoint, Endpoint, number][] = [
      ['checks-evaluator -> AWS', pod('checks-evaluator'), awsEndpoint, awsPort],
      ['checks-evaluator -> AWS 443', pod('checks-evaluator'), aws, 443],
      ['migrate -> AWS', pod('migrate'), aws, 443],
      ['migrate -> Redis', pod('migrate'), redis, 6379],
      ['a worker -> the API', pod('repo-sync'), pod('connector-api'), 8080],
      ['another namespace -> worker metrics', outside('default'), pod('repo-sync'), 9101],
      ['the API -> instance metadata', pod('connector-api'), { ip: '169.254.169.254' }, 443],
      ['the API -> anything on 80', pod('connector-api'), aws, 80],
    ];
    if (overlay === 'demo')
      denied.push(
        ['another namespace -> Postgres', outside('default'), db, 5432],
        ['another namespace -> Redis', outside('default'), redis, 6379],
        ['fake-aws -> Postgres', pod('fake-aws'), db, 5432],
        ['another namespace -> fake-aws', outside('default'), pod('fake-aws'), 4566],
      );
    for (const [label, from, to, port] of denied)
      expect(mayConnect(policies, from, to, port), label).toBe(false);
  });
});

describe('the demo overlay', () => {
  const objects = rendered.demo;
  it('runs Postgres, Redis and fake-aws in the cluster, and points the AWS callers at the fake', () => {
    for (const name of ['postgres', 'redis', 'fake-aws'])
      expect(find(objects, 'Service', name), name).toBeDefined();
    const facts = readScenarioFacts();
    const fake = get(objects, 'Service', 'fake-aws');
    const fakeCmd = dockerfileTargets().get('fake-aws')!.cmd!;
    expect(fake.spec.ports[0].port).toBe(Number(fakeCmd[fakeCmd.indexOf('--port') + 1]));
    expect(imageName(podSpec(get(objects, 'Deployment', 'fake-aws')).containers[0].image)).toBe(
      'codecommit-evidence/fake-aws',
    );
    for (const app of ['connector-api', 'repo-sync', 'iam-sync']) {
      const { values } = environmentOf(objects, podSpec(get(objects, 'Deployment', app)).containers[0]);
      expect(values.AWS_ENDPOINT_URL, app).toBe(`http://fake-aws:${fake.spec.ports[0].port}`);
      expect(values.AWS_ACCESS_KEY_ID, app).toBe(facts.platform.accessKeyId);
      expect(values.AWS_SECRET_ACCESS_KEY, app).toBe(facts.platform.secretAccessKey);
      expect(values.AWS_REGION, app).toBe(facts.region);
    }
    const api = environmentOf(
      objects,
      podSpec(get(objects, 'Deployment', 'connector-api')).containers[0],
    ).values;
    expect(api.PLATFORM_AWS_ACCOUNT_ID).toBe(facts.platformAccountId);
    // The evaluator never calls AWS: no endpoint, no keys.
    const evaluator = environmentOf(
      objects,
      podSpec(get(objects, 'Deployment', 'checks-evaluator')).containers[0],
    );
    expect(evaluator.names.filter((n) => n.startsWith('AWS_'))).toEqual([]);
  });

  it('gives KEDA (in its own namespace) the fully qualified Redis address, and the apps the in-namespace one', () => {
    const secret = get(objects, 'Secret', 'cce-secrets').data;
    const decode = (k: string) => Buffer.from(secret[k], 'base64').toString();
    const redis = get(objects, 'Service', 'redis');
    expect(decode('REDIS_ADDRESS')).toBe(
      `redis.${redis.metadata.namespace}.svc.cluster.local:${redis.spec.ports[0].port}`,
    );
    expect(decode('REDIS_URL')).toBe(`redis://redis:${redis.spec.ports[0].port}`);
    const pg = get(objects, 'Service', 'postgres');
    expect(new URL(decode('DATABASE_URL')).host).toBe(`postgres:${pg.spec.ports[0].port}`);
    const args: string[] = podSpec(get(objects, 'Deployment', 'redis')).containers[0].args;
    expect(args).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--maxmemory']));
  });
});

describe('the production overlay', () => {
  const objects = rendered.production;
  it('gives the AWS callers the platform role through IRSA, and nothing else an AWS identity', () => {
    const aws = get(objects, 'ServiceAccount', 'cce-aws');
    const arn = aws.metadata.annotations['eks.amazonaws.com/role-arn'];
    expect(arn).toMatch(/^arn:aws:iam::\d{12}:role\/.+/);
    // The role lives in the platform account that customers trust.
    expect(arn.split(':')[4]).toBe(configMap(objects, 'cce-api-config').data.PLATFORM_AWS_ACCOUNT_ID);
    for (const app of ['connector-api', 'repo-sync', 'iam-sync'])
      expect(podSpec(get(objects, 'Deployment', app)).serviceAccountName, app).toBe('cce-aws');
    expect(podSpec(get(objects, 'Deployment', 'checks-evaluator')).serviceAccountName).not.toBe('cce-aws');
    expect(podSpec(get(objects, 'Job', 'cce-migrate')).serviceAccountName).not.toBe('cce-aws');
    expect(find(objects, 'Deployment', 'postgres')).toBeUndefined();
    expect(find(objects, 'StatefulSet', 'postgres')).toBeUndefined();
    expect(find(objects, 'Deployment', 'fake-aws')).toBeUndefined();
    const auth = get(objects, 'TriggerAuthentication', 'cce-redis');
    expect(auth.spec.secretTargetRef.map((r: K8sObject) => r.parameter).sort()).toEqual([
      'address',
      'enableTLS',
      'password',
    ]);
  });
});

describe('the KEDA list names', () => {
  it('follow QUEUE_PREFIX when an overlay changes it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cce-kustomize-'));
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        // kustomize takes only relative paths to other kustomizations.
        `  - ${path.relative(dir, path.join(KUSTOMIZE_ROOT, 'overlays/demo'))}`,
        'components:',
        `  - ${path.relative(dir, path.join(KUSTOMIZE_ROOT, 'components/queue-prefix'))}`,
        'configMapGenerator:',
        '  - name: cce-config',
        '    behavior: merge',
        '    literals:',
        '      - QUEUE_PREFIX={tenant-b}',
        '',
      ].join('\n'),
    );
    const objects = kustomize(dir);
    for (const app of WORKER_APPS)
      expect(get(objects, 'ScaledObject', app).spec.triggers[0].metadata.listName).toBe(
        waitListKey('{tenant-b}', APPS[app]!.queue!),
      );
  });
});
