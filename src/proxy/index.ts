export { isLoopbackHost, parseLoopbackAddress } from './address.js';
export { FAULT_PROXY_VERSION } from './api.js';
export { type FaultProxyOptions, type StartedFaultProxy, startFaultProxy } from './fault-proxy.js';
export {
  FAULT_PROXY,
  type FaultProxyRouting,
  faultProxyRouting,
  staticRouting,
} from './routing.js';
export { TOXIC_TYPES, type ToxicSpec, type ToxicStream, type ToxicType } from './toxic-spec.js';
