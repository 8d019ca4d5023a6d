// S3-compatible storage in its own container (the local provider runs s3rver inside the harness):
// `node container/s3rver-main.mjs [--port 4569] [--dir /data/s3] [--bucket NAME]...`; each
// --bucket is created at start (clients may create their own as well).
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4569' },
    dir: { type: 'string', default: '/data/s3' },
    bucket: { type: 'string', multiple: true, default: [] },
  },
});
const server = new S3rver({
  address: '0.0.0.0',
  port: Number(values.port),
  silent: true,
  directory: values.dir,
  configureBuckets: values.bucket.map((name) => ({ name })),
  // By default s3rver takes any Host that is not an IP, localhost or its own hostname as a
  // bucket name ("CNAME" buckets): a client calling http://s3:4569 would reach bucket "s3".
  vhostBuckets: false,
});
const { address, port } = await server.run();
console.log(`s3rver listening on ${address}:${port}, data in ${values.dir}`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
