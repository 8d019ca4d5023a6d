// s3rver over HTTPS in a process of its own (pgBackRest's S3 driver speaks only TLS), so serving a
// restore does not stall the harness's event loop and with it the probes' schedule:
// `node s3-tls-main.mjs --port N --dir D --key K --cert C --bucket B [--address A]`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

const { values } = parseArgs({
  options: {
    address: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    dir: { type: 'string' },
    key: { type: 'string' },
    cert: { type: 'string' },
    bucket: { type: 'string', multiple: true, default: [] },
  },
});
const server = new S3rver({
  address: values.address,
  port: Number(values.port),
  silent: true,
  directory: values.dir,
  key: readFileSync(values.key),
  cert: readFileSync(values.cert),
  configureBuckets: values.bucket.map((name) => ({ name })),
  vhostBuckets: false,
});
const { address, port } = await server.run();
console.log(`s3rver (https) listening on ${address}:${port}, data in ${values.dir}`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
