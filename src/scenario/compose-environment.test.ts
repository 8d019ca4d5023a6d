// A compose environment with a mistake is refused while the scenario loads, before anything
// starts, naming the file (the environment.yaml or the compose file) and the service.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { loadCheckedScenario } from './check-environment.js';
import { interpolate, publishedPort } from './compose-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const COMPOSE = `services:
  api:
    image: chaos-harness/node:latest
    ports: ["8080"]
  worker:
    image: chaos-harness/node:latest
`;

function write(files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return join(dir, 'scenario.yaml');
}

const scenario = (target = 'api', extra = '') => `environment: ./env
provider: containers
probes:
  - { name: p, kind: http, path: /, interval: 100ms, timeout: 1s, target: { service: ${target} }${extra} }
faults:
  - { kind: process-kill, target: { service: ${target} } }
targets:
  - { metric: rto, max: 10s, source: test }
`;

async function rejection(file: string): Promise<ValidationError> {
  const err = await loadCheckedScenario(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

const allIssues = (e: ValidationError) =>
  [e, ...e.others].flatMap((x) => x.issues.map((i) => ({ file: x.file, path: i.path, message: i.message })));

describe('compose environment files', () => {
  it('accepts a compose file with an overlay that names its services and published ports', async () => {
    const file = write({
      'env/docker-compose.yml': COMPOSE,
      'env/environment.yaml': `compose: { files: [docker-compose.yml] }
services:
  api: { ready: { http: { port: 8080, path: /health } }, endpoints: { http: 8080 } }
`,
      'scenario.yaml': scenario(),
    });
    await expect(loadCheckedScenario(file)).resolves.toMatchObject({ envName: 'env' });
  });

  it('names the compose file and the line of a YAML syntax error', async () => {
    const file = write({
      'env/docker-compose.yml': 'services:\n  api: [unclosed\n',
      'env/environment.yaml': 'compose: { files: [docker-compose.yml] }\n',
      'scenario.yaml': scenario(),
    });
    const issues = allIssues(await rejection(file));
    expect(issues[0]?.file).toBe(join(dir, 'env/docker-compose.yml'));
    expect(issues[0]?.message).toMatch(/YAML syntax error/);
  });

  it('names the environment.yaml field of a compose file that does not exist', async () => {
    const file = write({
      'env/environment.yaml': 'compose: { files: [missing.yml] }\n',
      'scenario.yaml': scenario(),
    });
    expect(allIssues(await rejection(file))).toContainEqual({
      file: join(dir, 'env/environment.yaml'),
      path: 'compose.files[0]',
      message: `expected a compose file; ${join(dir, 'env/missing.yml')} does not exist`,
    });
  });

  it('refuses an overlay for a service the compose file does not have', async () => {
    const file = write({
      'env/docker-compose.yml': COMPOSE,
      'env/environment.yaml':
        'compose: { files: [docker-compose.yml] }\nservices:\n  db: { role: primary }\n',
      'scenario.yaml': scenario(),
    });
    const [issue] = allIssues(await rejection(file));
    expect(issue).toMatchObject({ file: join(dir, 'env/environment.yaml'), path: 'services.db' });
    expect(issue?.message).toMatch(/has no service "db"; its services: api, worker/);
  });

  it('refuses a readiness check on a port the service does not publish', async () => {
    const file = write({
      'env/docker-compose.yml': COMPOSE,
      'env/environment.yaml':
        'compose: { files: [docker-compose.yml] }\nservices:\n  api: { ready: { tcp: { port: 9090 } } }\n',
      'scenario.yaml': scenario(),
    });
    const [issue] = allIssues(await rejection(file));
    expect(issue).toMatchObject({ path: 'services.api.ready.tcp.port' });
    expect(issue?.message).toMatch(
      /service "api" of .*docker-compose\.yml publishes no port 9090 \(published: 8080\)/,
    );
  });

  it('refuses a probe aimed at a service with no published port, naming the service and its file', async () => {
    const file = write({
      'env/docker-compose.yml': COMPOSE,
      'env/environment.yaml': 'compose: { files: [docker-compose.yml] }\n',
      'scenario.yaml': scenario('worker'),
    });
    const [issue] = allIssues(await rejection(file));
    expect(issue).toMatchObject({ file, path: 'probes[0].endpoint' });
    expect(issue?.message).toMatch(
      /probe "p" \(http\) needs a published port of service "worker", and .*docker-compose\.yml publishes none for it/,
    );
  });

  it('refuses an overlay environment that names a port the other service does not have behind the proxy', async () => {
    const file = write({
      'env/docker-compose.yml': `services:
  api: { image: x, ports: ["8080"] }
  db: { image: x, ports: ["5432"] }
`,
      'env/environment.yaml': `compose: { files: [docker-compose.yml] }
services:
  api: { environment: { DB: "\${services.db.proxied.5432}", CACHE: "\${services.db.ports.5432}" } }
`,
      'scenario.yaml': scenario(),
    });
    const issues = allIssues(await rejection(file));
    expect(issues.map((i) => [i.file, i.path])).toEqual([
      [join(dir, 'env/environment.yaml'), 'services.api.environment.DB'],
      [join(dir, 'env/environment.yaml'), 'services.api.environment.CACHE'],
    ]);
    expect(issues[0]?.message).toMatch(
      /unknown substitution \$\{services\.db\.proxied\.5432\}; expected .* naming a port listed in that service's "proxied:"/,
    );
  });

  it('refuses a port range and a second replica in the compose file, naming that file', async () => {
    const file = write({
      'env/docker-compose.yml': `services:
  api: { image: x, ports: ["8080-8081"], scale: 2 }
`,
      'env/environment.yaml': 'compose: { files: [docker-compose.yml] }\n',
      'scenario.yaml': scenario(),
    });
    const issues = allIssues(await rejection(file));
    expect(issues.map((i) => [i.file, i.path])).toEqual([
      [join(dir, 'env/docker-compose.yml'), 'services.api.scale'],
      [join(dir, 'env/docker-compose.yml'), 'services.api.ports[0]'],
    ]);
  });
});

describe('compose port and variable syntax', () => {
  it.each([
    ['8080', 8080],
    ['127.0.0.1::8080', 8080],
    ['5432:5432/tcp', 5432],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a template
    ['${HOST_PORT:-15432}:5432', 5432],
    [6379, 6379],
  ])('reads the container port of %j', (entry, port) => {
    expect(publishedPort(entry, {})).toEqual({ port, tcp: true });
  });

  it('reads the long syntax and tells UDP apart', () => {
    expect(publishedPort({ target: 53, published: 5353, protocol: 'udp' }, {})).toEqual({
      port: 53,
      tcp: false,
    });
  });

  it('interpolates like Compose, and says when a variable is unset', () => {
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: Compose's syntax, not templates
    expect(interpolate('${A:-x}-${B}-$$C-$D', { B: 'b', D: 'd' })).toBe('x-b-$C-d');
    expect(interpolate('${MISSING}', {})).toBeUndefined();
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: Compose's syntax, not templates
  });
});
