// Preloaded in the node image (NODE_OPTIONS=--import=...). The environments' services bind
// 127.0.0.1, which inside a container means "unreachable from the host and from the other
// containers". Rewrites a loopback listen host to CHAOS_LISTEN_HOST (0.0.0.0 in the image).
// Goes away once the services take a --host option.
import net from 'node:net';

const to = process.env.CHAOS_LISTEN_HOST;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

if (to) {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) {
    if (typeof args[0] === 'object' && args[0] !== null && LOOPBACK.has(args[0].host)) {
      args[0] = { ...args[0], host: to };
    } else if (typeof args[0] === 'number' && LOOPBACK.has(args[1])) {
      args[1] = to;
    }
    return listen.apply(this, args);
  };
}
